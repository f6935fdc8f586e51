package dev.arcbox.driver.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The logger and metrics FIFOs are drained continuously, by a writer that opens them non-blocking. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a FIFO open blocks natively
class FcPipesTest {

    @TempDir
    Path tmp;

    @Test
    void drains_logToAFile_andKeepsTheLatestMetrics() throws Exception {
        Path log = tmp.resolve("log.fifo");
        Path metrics = tmp.resolve("metrics.fifo");
        try (FcPipes pipes = FcPipes.open("t1", log, metrics, tmp.resolve("console.fifo"), tmp.resolve("fc.log"), null)) {
            for (int i = 1; i <= 200; i++) {
                Files.writeString(metrics, "{\"net\":{\"rx_bytes\":" + i + ",\"name\":\"eth0\"},\"lost\":0}\n",
                        StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                Files.writeString(log, "line " + i + "\n", StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> pipes.metricLines() == 200);
            assertThat(pipes.latest()).containsEntry("net.rx_bytes", 200L).containsEntry("lost", 0L)
                    .doesNotContainKey("net.name");
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> Files.readString(tmp.resolve("fc.log"))
                    .contains("line 200\n"));
        }
        // closing ends the drains and the console pump: no thread is left blocked on a fifo
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("fc-log-t1") || t.getName().equals("fc-metrics-t1")
                        || t.getName().equals("fc-console-t1")));
    }

    @Test
    void console_isReadThroughAViewThatOutlivesItsReaders_andEndsWhenThePipesClose() throws Exception {
        Path console = tmp.resolve("console.fifo");
        FcPipes pipes = FcPipes.open("t2", tmp.resolve("log.fifo"), tmp.resolve("metrics.fifo"), console,
                tmp.resolve("fc.log"), null);
        try {
            Files.writeString(console, "booting\n", StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            assertThat(readLine(pipes.console())).isEqualTo("booting\n");
            ReadableByteChannel first = pipes.console();
            first.close(); // a reader that goes away leaves the FIFO open for the next
            Files.writeString(console, "still there\n", StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            assertThat(readLine(pipes.console())).isEqualTo("still there\n");
            CompletableFuture<Object> blocked = CompletableFuture.supplyAsync(() -> {
                try {
                    return pipes.console().read(ByteBuffer.allocate(16));
                } catch (IOException e) {
                    return e;
                }
            });
            pipes.close();
            assertThat(blocked.get(20, TimeUnit.SECONDS)).as("a blocked read ends when the VM's pipes close")
                    .satisfiesAnyOf(r -> assertThat(r).isEqualTo(-1), r -> assertThat(r).isInstanceOf(IOException.class));
        } finally {
            pipes.close();
        }
    }

    @Test
    void unreadConsole_givesTheTailOfWhatNobodyRead_withoutWaitingForAWriter() throws Exception {
        Path console = tmp.resolve("console.fifo");
        try (FcPipes pipes = FcPipes.open("t3", tmp.resolve("log.fifo"), tmp.resolve("metrics.fifo"), console,
                tmp.resolve("fc.log"), null)) {
            assertThat(pipes.unreadConsole(100)).isEmpty();
            // more than the pipe holds (64 KiB): the writer finishes only because unreadConsole reads
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    Files.writeString(console, "x".repeat(200_000), StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            while (!writer.isDone()) {
                assertThat(pipes.unreadConsole(40)).hasSizeLessThanOrEqualTo(40).matches("x*");
            }
            writer.get(20, TimeUnit.SECONDS);
            pipes.unreadConsole(40);
            Files.writeString(console, "starting\nError: cannot open /dev/kvm\n", StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            assertThat(pipes.unreadConsole(27)).isEqualTo("Error: cannot open /dev/kvm");
            assertThat(pipes.unreadConsole(100)).as("read once").isEmpty();
        }
    }

    private static String readLine(ReadableByteChannel ch) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (line.isEmpty() || line.charAt(line.length() - 1) != '\n') {
            one.clear();
            if (ch.read(one) < 0) {
                break;
            }
            line.append((char) one.get(0));
        }
        return line.toString();
    }
}
