package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.core.testing.TestRun;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * arcboxd refuses to start on a database it cannot own — held by another daemon, write-locked by
 * another process, or corrupt — with a message saying which, and never writes to the file.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DatabaseRefusalTest {

    @Test
    void aDataDirHeldByAnotherDaemon_orADatabaseLockedByAnotherProcess_isRefused_andTheFileUntouched() throws Exception {
        TestRun.assumeQemuHost();
        String netns = DaemonProcess.netns();
        try (DaemonProcess first = new DaemonProcess("dblock-" + TestRun.vmId(), netns, "").start()) {
            first.sandboxes().create(CreateSandboxRequest.newBuilder().setId("keep").setNoStart(true)
                    .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
            try (DaemonProcess second = new DaemonProcess("dblock-2-" + TestRun.vmId(), netns, "")) {
                Files.writeString(second.config, Files.readString(first.config));
                assertThat(second.startExpectingExit()).isEqualTo(2);
                assertThat(second.log()).contains("is in use by another arcboxd (pid " + first.pid() + ")");
            }
            assertThat(first.terminate(Duration.ofSeconds(30))).isTrue();

            Path db = first.dataDir.resolve("arcbox.db");
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + db);
                    Statement s = other.createStatement()) {
                s.execute("BEGIN IMMEDIATE");
                String before = sha256(db);
                assertThat(first.startExpectingExit()).as("exit code; log: %s", first.log()).isEqualTo(2);
                assertThat(first.log()).contains("is locked by another process");
                assertThat(sha256(db)).as("the database after a refused start").isEqualTo(before);
                s.execute("ROLLBACK");
            }
            first.start();
            assertThat(first.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId("keep").build()).getState())
                    .isEqualTo("stopped");
            first.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId("keep").build());
        }
    }

    @Test
    void aCorruptDatabase_isRefusedWithAClearMessage_andLeftByteForByteUnchanged() throws Exception {
        TestRun.assumeQemuHost();
        try (DaemonProcess d = new DaemonProcess("dbcorrupt-" + TestRun.vmId(), DaemonProcess.netns(), "").start()) {
            d.sandboxes().create(CreateSandboxRequest.newBuilder().setId("keep").setNoStart(true)
                    .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
            assertThat(d.terminate(Duration.ofSeconds(30))).isTrue();
            Path db = d.dataDir.resolve("arcbox.db");
            try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
                f.seek(0);
                f.write("this is not an sqlite header, it is garbage!!!!!!!!!!!!!!!!!!!!".getBytes());
            }
            String before = sha256(db);
            for (int attempt = 0; attempt < 2; attempt++) {
                assertThat(d.startExpectingExit()).as("exit code; log: %s", d.log()).isEqualTo(2);
            }
            assertThat(d.log()).contains("is corrupt").contains("leaves it untouched");
            assertThat(sha256(db)).as("the database after two refused starts").isEqualTo(before);
        }
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
