package dev.arcbox.core.store;

import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.NicPlan;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.driver.VmRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Shared test data and raw-file helpers for the store tests. */
final class Fixtures {

    static final StoreConfig FAST = StoreConfig.defaults().withBusyTimeout(Duration.ofMillis(300));

    private Fixtures() {}

    static NewSandbox sandbox(String uid, String id) {
        return NewSandbox.of(uid, id, "{\"memory_mib\":128}", "starting", Map.of("team", "a"));
    }

    static VmRecord vmRecord() {
        VmPlan plan = new VmPlan("ab12cd34", Path.of("/run/arcbox/vms/ab12cd34"),
                Path.of("/var/lib/arcbox/sandboxes/ab12cd34/console.log"), new MachinePlan(2, 256, false, "tcg"),
                Path.of("/var/lib/arcbox/images/vmlinuz"), Path.of("/var/lib/arcbox/images/initrd.img"), "quiet",
                List.of(DiskPlan.root(Path.of("/var/lib/arcbox/images/rootfs.ext4")),
                        DiskPlan.writable(Path.of("/var/lib/arcbox/sandboxes/ab12cd34/rw.img"))),
                List.of(new NicPlan("eth0", "abxab12cd34", "02:ab:ac:1e:00:02")), null,
                Map.of("kernel", "sha256:k", "initrd", "sha256:i", "rootfs", "sha256:r"));
        return new VmRecord("ab12cd34", "qemu", 4242, 987654, Path.of("/run/arcbox/vms/ab12cd34"), plan,
                Map.of("qmp_socket", "/run/arcbox/vms/ab12cd34/qmp.sock", "agent_socket", "/run/arcbox/vms/ab12cd34/agent.sock"));
    }

    /** SHA-256 of a file's bytes, hex. */
    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** File name → SHA-256 of every file in {@code dir}. */
    static Map<String, String> snapshotDir(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            Map<String, String> out = new TreeMap<>();
            files.forEach(f -> out.put(f.getFileName().toString(), sha256(f)));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A raw JDBC connection, bypassing the store (for setting up foreign, locked or old databases). */
    static Connection raw(Path db) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + db);
    }

    static int pragma(Path db, String name) throws SQLException {
        try (Connection c = raw(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            return rs.next() ? rs.getInt(1) : -1;
        }
    }
}
