package dev.arcbox.driver.firecracker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A fake {@code firecracker} executable for process-level tests: takes Firecracker's flags, serves
 * {@link FakeFirecracker} on {@code --api-sock} (relative to its working directory, which is the
 * jail root when the fake jailer started it) until killed. Refuses flags Firecracker does not have.
 */
public final class FakeFirecrackerMain {

    private static final List<String> WITH_VALUE = List.of("--api-sock", "--id", "--seccomp-filter",
            "--http-api-max-payload-size", "--mmds-size-limit", "--level", "--log-path", "--metrics-path");
    private static final List<String> FLAGS = List.of("--no-seccomp", "--boot-timer", "--enable-pci",
            "--show-level", "--show-log-origin");

    private FakeFirecrackerMain() {}

    public static void main(String[] args) throws Exception {
        String socket = null;
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (WITH_VALUE.contains(a)) {
                if (seen.contains(a)) {
                    fail("argument '" + a + "' provided twice");
                }
                seen.add(a);
                if (i + 1 >= args.length) {
                    fail("argument '" + a + "' needs a value");
                }
                if (a.equals("--api-sock")) {
                    socket = args[i + 1];
                }
                i++;
            } else if (!FLAGS.contains(a)) {
                fail("unknown argument '" + a + "'");
            }
        }
        if (socket == null) {
            fail("--api-sock is required by this fake");
        }
        Path cwd = Path.of("").toAbsolutePath();
        boolean jail = java.nio.file.Files.exists(cwd.resolve(".fake-jail"));
        Path sock = jail && socket.startsWith("/") ? cwd.resolve(socket.substring(1)) : cwd.resolve(socket);
        System.out.println("fake firecracker: serving " + sock + " args " + String.join(" ", args));
        FakeFirecracker fc = new FakeFirecracker(sock, cwd);
        fc.stdout(System.out);
        System.out.println("fake firecracker: state " + fc.state());
        new CountDownLatch(1).await();
    }

    private static void fail(String message) {
        System.err.println("fake firecracker: " + message);
        System.exit(1);
    }
}
