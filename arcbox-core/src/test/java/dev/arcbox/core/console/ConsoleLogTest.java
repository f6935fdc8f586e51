package dev.arcbox.core.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLogTest {

    private static final int CAP = 1000;

    @TempDir
    Path dir;

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void append(ConsoleLog log, byte[] data) {
        log.append(data, 0, data.length);
    }

    /** Reads everything retained from {@code from}, chunk by chunk. */
    private static byte[] readAll(ConsoleLog log, long from) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long next = from;
        while (true) {
            ConsoleLog.Chunk c = log.read(next, 64);
            if (c.data().length == 0) {
                return out.toByteArray();
            }
            out.writeBytes(c.data());
            next = c.offset() + c.data().length;
        }
    }

    @Test
    void endlessOutput_neverKeepsMoreThanTheCapOnDisk_andOffsetsCountEverything() throws Exception {
        Path file = dir.resolve("console.log");
        try (ConsoleLog log = ConsoleLog.open(file, CAP)) {
            byte[] line = text("flood 0123456789\n");
            long written = 0;
            for (int i = 0; i < 5000; i++) {
                append(log, line);
                written += line.length;
                assertThat(Files.size(file) + (Files.exists(dir.resolve("console.log.1"))
                        ? Files.size(dir.resolve("console.log.1")) : 0)).isLessThanOrEqualTo(CAP);
            }
            assertThat(log.endOffset()).isEqualTo(written);
            assertThat(log.retainedBytes()).isLessThanOrEqualTo(CAP).isGreaterThan(CAP / 2 - line.length);
            assertThat(ConsoleLog.bytesOnDisk(file)).isEqualTo(log.retainedBytes());
            ConsoleLog.Chunk first = log.read(0, 100);
            assertThat(first.offset()).isEqualTo(log.startOffset()).isPositive();
            assertThat(first.lostBytes()).isEqualTo(log.startOffset());
            // the retained bytes are the tail of what was written, in order across both segments
            byte[] kept = readAll(log, log.startOffset());
            assertThat(kept.length).isEqualTo(log.retainedBytes());
            long start = log.startOffset();
            for (int k = 0; k < kept.length; k++) {
                assertThat(kept[k]).isEqualTo(line[(int) ((start + k) % line.length)]);
            }
        }
    }

    @Test
    void oneAppendLargerThanASegment_isSplitAcrossRotations() {
        try (ConsoleLog log = ConsoleLog.open(dir.resolve("console.log"), CAP)) {
            byte[] big = new byte[CAP * 3];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) ('a' + i % 26);
            }
            append(log, big);
            assertThat(log.endOffset()).isEqualTo(big.length);
            assertThat(log.retainedBytes()).isEqualTo(CAP);
            assertThat(readAll(log, 0)).containsExactly(java.util.Arrays.copyOfRange(big, big.length - CAP, big.length));
        }
    }

    @Test
    void reopened_keepsOffsets_andFinishesARotationACrashInterrupted() throws Exception {
        Path file = dir.resolve("console.log");
        try (ConsoleLog log = ConsoleLog.open(file, CAP)) {
            for (int i = 0; i < 80; i++) {
                append(log, text("line " + (100 + i) + " of output\n"));
            }
        }
        long end;
        long start;
        try (ConsoleLog again = ConsoleLog.open(file, CAP)) {
            end = again.endOffset();
            start = again.startOffset();
            assertThat(start).isPositive();
            append(again, text("after restart\n"));
            assertThat(again.endOffset()).isEqualTo(end + 14);
            end = again.endOffset();
        }
        // a crash after the segment moved but before the base file: console.log gone, base.tmp left
        long crashedBase = end;
        Files.move(file, dir.resolve("console.log.1"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("console.log.base.tmp"), Long.toString(crashedBase));
        try (ConsoleLog recovered = ConsoleLog.open(file, CAP)) {
            assertThat(recovered.endOffset()).isEqualTo(end);
            assertThat(Files.exists(dir.resolve("console.log.base.tmp"))).isFalse();
            assertThat(new String(recovered.read(end - 14, 100).data(), StandardCharsets.US_ASCII))
                    .isEqualTo("after restart\n");
        }
        // a crash before the segment moved: the stale base.tmp is dropped
        try (ConsoleLog log = ConsoleLog.open(file, CAP)) {
            append(log, text("x"));
        }
        Files.writeString(dir.resolve("console.log.base.tmp"), "999999");
        try (ConsoleLog log = ConsoleLog.open(file, CAP)) {
            assertThat(log.endOffset()).isEqualTo(end + 1);
        }
    }

    @Test
    void missingDirectory_readsEmpty_untilTheFirstAppend() {
        try (ConsoleLog log = ConsoleLog.open(dir.resolve("later/console.log"), CAP)) {
            assertThat(log.read(0, 10).data()).isEmpty();
            assertThat(log.endOffset()).isZero();
            assertThat(log.retainedBytes()).isZero();
        }
    }

    @Test
    void follower_wakesOnNewOutput_andOnClose() throws Exception {
        ConsoleLog log = ConsoleLog.open(dir.resolve("console.log"), CAP);
        append(log, text("boot\n"));
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return log.awaitBeyond(5, Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        append(log, text("marker\n"));
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(log.awaitBeyond(log.endOffset(), Duration.ofMillis(10))).isFalse();
        CompletableFuture<Boolean> closed = CompletableFuture.supplyAsync(() -> {
            try {
                return log.awaitBeyond(log.endOffset(), Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        log.close();
        assertThat(closed.get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(log.read(0, 10).data()).isEmpty();
        append(log, text("ignored"));
        assertThat(Files.size(dir.resolve("console.log"))).isEqualTo(12);
    }
}
