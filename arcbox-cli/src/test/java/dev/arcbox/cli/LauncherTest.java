package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.api.v1.SystemInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/arcbox} against the built jar and target/lib, in a child JVM. */
class LauncherTest {

    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path LAUNCHER = MODULE.resolveSibling("bin").resolve("arcbox");

    @TempDir
    Path dir;

    @BeforeEach
    void requireBuiltJar() throws IOException {
        Path target = MODULE.resolve("target");
        boolean built;
        try (Stream<Path> files = Files.exists(target) ? Files.list(target) : Stream.empty()) {
            built = files.anyMatch(p -> p.getFileName().toString().matches("arcbox-cli-.*\\.jar")
                    && !p.getFileName().toString().contains("-tests") && !p.getFileName().toString().contains("-sources"));
        }
        Assumptions.assumeTrue(built && Files.isDirectory(target.resolve("lib")) && Files.isExecutable(LAUNCHER),
                "arcbox-cli jar or bin/arcbox not there: run 'mvn -pl arcbox-cli -am install -DskipTests' first");
    }

    private record Run(int exit, String out, String err) {}

    private Run launch(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("bin/arcbox exited").isTrue();
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void help_fromTheBuiltJar() throws Exception {
        Run r = launch("--help");

        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("Usage: arcbox").contains("sandbox", "system", "completion", "Exit codes:");
    }

    @Test
    void aRealCall_printsNoNettyWarnings() throws Exception {
        try (FakeDaemon daemon = FakeDaemon.start(dir.resolve("arcbox.sock"))) {
            daemon.systemInfo = SystemInfo.newBuilder().setVersion("9.9.9").build();

            Run r = launch("--socket", daemon.socket.toString(), "system", "info");

            assertThat(r.err()).isEmpty();
            assertThat(r.exit()).isZero();
            assertThat(r.out()).matches("(?s)version: +9\\.9\\.9\n.*");
        }
    }
}
