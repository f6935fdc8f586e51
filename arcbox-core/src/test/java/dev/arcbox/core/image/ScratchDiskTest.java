package dev.arcbox.core.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default writable disk: 2 GiB of ext4 in a sparse file, created without writing the whole size. */
class ScratchDiskTest {

    @Test
    void twoGiBDisk_isSparse_andHoldsAnExt4FileSystemOfThatSize(@TempDir Path dir) throws Exception {
        Path disk = dir.resolve("disk.img");
        long start = System.nanoTime();
        ScratchDisk.create(disk, 2L << 30);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(Files.size(disk)).isEqualTo(2L << 30);
        long allocated = Long.parseLong(output("stat", "-c", "%b", disk.toString()).strip()) * 512;
        assertThat(allocated).as("bytes allocated on the host").isLessThan(128L << 20);
        String super0 = output("dumpe2fs", "-h", disk.toString());
        assertThat(super0).contains("Filesystem features:").contains("extent");
        long blocks = Long.parseLong(super0.lines().filter(l -> l.startsWith("Block count:")).findFirst().orElseThrow()
                .replaceAll("[^0-9]", ""));
        long blockSize = Long.parseLong(super0.lines().filter(l -> l.startsWith("Block size:")).findFirst().orElseThrow()
                .replaceAll("[^0-9]", ""));
        assertThat(blocks * blockSize).isEqualTo(2L << 30);
        System.out.printf("2 GiB scratch disk: created in %d ms, %d MiB allocated%n", millis, allocated >> 20);
    }

    private static String output(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }
}
