package dev.arcbox.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bounded VMM logs, and which snapshots a prune matches. */
class VmmLogsTest {

    @TempDir
    Path dir;

    @Test
    void aLogPastTheCap_keepsItsTailAsDotOne_andTheWriterAppendsAtTheNewEnd() throws Exception {
        Path log = dir.resolve("qemu.log");
        try (OutputStream writer = new FileOutputStream(log.toFile(), true)) {
            writer.write("a".repeat(3000).getBytes(StandardCharsets.US_ASCII));
            writer.write("b".repeat(1000).getBytes(StandardCharsets.US_ASCII));
            writer.flush();

            VmmLogs.cap(dir, 1000);

            assertThat(Files.size(log)).isZero();
            assertThat(Files.readString(dir.resolve("qemu.log.1"))).isEqualTo("b".repeat(1000));
            writer.write("after".getBytes(StandardCharsets.US_ASCII));
            writer.flush();
        }
        assertThat(Files.readString(log)).isEqualTo("after");
    }

    @Test
    void aLogWithinTheCap_andOtherFiles_areLeftAlone() throws Exception {
        Files.writeString(dir.resolve("qemu.log"), "x".repeat(100));
        Files.writeString(dir.resolve("memory.ram"), "y".repeat(5000));

        VmmLogs.cap(dir, 1000);
        VmmLogs.cap(dir.resolve("missing"), 1000);

        assertThat(Files.size(dir.resolve("qemu.log"))).isEqualTo(100);
        assertThat(Files.size(dir.resolve("memory.ram"))).isEqualTo(5000);
        assertThat(dir.resolve("qemu.log.1")).doesNotExist();
    }

    @Test
    void prune_matchesByAgeAndByEveryLabel() {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");
        Instant old = now.minus(Duration.ofHours(25));
        Instant fresh = now.minus(Duration.ofMinutes(5));
        Duration day = Duration.ofHours(24);
        Map<String, String> labels = Map.of("env", "ci", "team", "a");

        assertThat(SnapshotPrune.matches(old, labels, now, day, Map.of())).isTrue();
        assertThat(SnapshotPrune.matches(fresh, labels, now, day, Map.of())).isFalse();
        assertThat(SnapshotPrune.matches(fresh, labels, now, Duration.ZERO, Map.of("env", "ci"))).isTrue();
        assertThat(SnapshotPrune.matches(old, labels, now, day, Map.of("env", "ci", "team", "b"))).isFalse();
        assertThat(SnapshotPrune.matches(old, Map.of(), now, day, Map.of("env", "ci"))).isFalse();
    }
}
