package dev.arcbox.core.testing;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.image.GuestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * Names and places unique to one test JVM, so tests never collide with earlier runs or other work
 * on the same host, and leftovers can be attributed: every host resource a test creates carries
 * {@link #id()}.
 */
public final class TestRun {

    private static final String ID = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static volatile Path base;

    private TestRun() {}

    /** Six hex characters naming this test JVM. */
    public static String id() {
        return ID;
    }

    /** A fresh VM id ([a-z0-9], ≤ 12 chars) unique to this run. */
    public static String vmId() {
        return "t" + ID + Integer.toString(SEQ.incrementAndGet(), 36);
    }

    /** A short directory for this run's VM directories and disks (socket paths must stay short). */
    public static synchronized Path baseDir() {
        if (base == null) {
            try {
                base = Files.createDirectories(Path.of("/tmp/abx-test-" + ID));
                Path dir = base;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> FileTree.delete(dir)));
            } catch (IOException e) {
                throw new ArcboxException.HostFailure("creating test dir: " + e.getMessage(), e);
            }
        }
        return base;
    }

    private static volatile boolean ramHook;

    /** The tmpfs directory for this run's guest memory files (removed when the JVM exits). */
    public static Path ramDir() {
        Path dir = Path.of("/dev/shm/abx-test-" + ID);
        synchronized (TestRun.class) {
            if (!ramHook) {
                ramHook = true;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> FileTree.delete(dir)));
            }
        }
        return dir;
    }

    /** The guest assets built by {@code make guest}; fails saying so when they are missing. */
    public static GuestImage image() {
        return GuestImage.load(Path.of(System.getProperty("arcbox.images", "/var/lib/arcbox/images")));
    }

    /** Skips the calling test, naming what is missing, unless QEMU and root are available. */
    public static void assumeQemuHost() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")),
                "needs /usr/bin/qemu-system-x86_64 (Debian package qemu-system-x86)");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
    }
}
