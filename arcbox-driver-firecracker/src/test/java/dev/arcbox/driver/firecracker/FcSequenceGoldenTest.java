package dev.arcbox.driver.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.core.driver.VmPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden files pin the JSON the driver sends Firecracker for a spec that uses every field: the
 * cold-boot sequence and a clone's load sequence. Regenerate with {@code -Dgolden.update=true}
 * and review the diff.
 */
class FcSequenceGoldenTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    @TempDir
    Path tmp;

    /** The same plan everywhere: fixed paths, so the golden files do not depend on the temp dir. */
    private VmPlan plan() throws IOException {
        return FcTestFiles.plan(tmp, "ab12", FcTestFiles.everyFeature());
    }

    private static FcFiles files() {
        return new FcFiles("/images/vmlinux", "/images/initrd", java.util.Map.of("root", "files/drives/abx_root",
                "rw", "files/drives/abx_rw", "data", "files/drives/data"), "v.sock", "log.fifo", "metrics.fifo",
                "/var/lib/arcbox/sandboxes/ab12/console.log");
    }

    @Test
    void bootSequence_ofAnEveryFieldSpec_matchesTheGoldenFile() throws IOException {
        var config = FcTestFiles.config(Path.of("/usr/bin/firecracker"), Optional.empty(), 5);
        List<FcCall> calls = FcBootSequence.boot(plan(), config, files());
        assertGolden("boot-every-field.txt", calls);
    }

    @Test
    void loadSequence_ofAClone_matchesTheGoldenFile() throws IOException {
        var config = FcTestFiles.config(Path.of("/usr/bin/firecracker"), Optional.empty(), 5);
        FcDriver driver = new FcDriver(config);
        List<FcCall> calls = FcSnapshots.load(plan(), driver, files(), "/snapshots/s1/vmstate", "/snapshots/s1/memory");
        assertGolden("load-clone.txt", calls);
    }

    private static void assertGolden(String name, List<FcCall> calls) throws IOException {
        StringBuilder text = new StringBuilder();
        calls.forEach(c -> text.append(c.line()).append('\n'));
        Path file = GOLDEN.resolve(name);
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
        }
        assertThat(text.toString()).isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
    }
}
