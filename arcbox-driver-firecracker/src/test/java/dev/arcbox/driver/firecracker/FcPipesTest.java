package dev.arcbox.driver.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The logger and metrics FIFOs are drained continuously, by a writer that opens them non-blocking. */
@Timeout(60)
class FcPipesTest {

    @TempDir
    Path tmp;

    @Test
    void drains_logToAFile_andKeepsTheLatestMetrics() throws Exception {
        Path log = tmp.resolve("log.fifo");
        Path metrics = tmp.resolve("metrics.fifo");
        try (FcPipes pipes = FcPipes.open("t1", log, metrics, tmp.resolve("fc.log"), null)) {
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
        // closing ends both drains: no thread is left blocked on a fifo
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("fc-log-t1") || t.getName().equals("fc-metrics-t1")));
    }
}
