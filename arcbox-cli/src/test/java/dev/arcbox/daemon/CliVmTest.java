package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.testing.TestRun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The issue's done-when on a real arcboxd and VM, through {@code bin/arcbox} (the packaged CLI):
 * an interactive shell under a real terminal (tmux) that follows a resize and survives Ctrl-C of
 * its foreground command; a 256 MiB file in and out with matching SHA-256; the README's Java
 * example. In package dev.arcbox.daemon for {@link DaemonProcess}.
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class CliVmTest {

    private static final Path LAUNCHER = Path.of("").toAbsolutePath().resolveSibling("bin").resolve("arcbox");
    private static final Duration STEP = Duration.ofSeconds(90);
    private static final long MIB = 1 << 20;

    private DaemonProcess daemon;
    private String box;
    private Path work;

    @BeforeAll
    void sandbox() throws Exception {
        TestRun.assumeQemuHost();
        daemon = new DaemonProcess("cli-" + TestRun.id(), DaemonProcess.netns(), "").start();
        work = Files.createDirectories(TestRun.baseDir().resolve("cli-work-" + TestRun.id()));
        box = "cli-" + TestRun.vmId();
        daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(box).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256))
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
    }

    @AfterAll
    void cleanUp() {
        if (daemon != null) {
            daemon.removeAllSandboxes();
            daemon.close();
        }
        if (work != null) {
            FileTree.delete(work);
        }
    }

    @Test
    void execIt_underARealTerminal_isAShellThatFollowsAResize_andSurvivesCtrlC() throws Exception {
        String session = "abx-cli-" + TestRun.id();
        String cmd = LAUNCHER + " --socket " + daemon.socket + " sandbox exec -it " + box + " -- sh"
                + "; echo ARCBOX_EXIT=$?; echo TTY: $(stty -a | tr -s ' ;' '\\n\\n'"
                + " | grep -x -e icanon -e -icanon -e echo -e -echo -e isig -e -isig | sort); sleep 600";
        tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "bash", "-c", cmd);
        try {
            shell(session, "echo ready-$((40+2))");
            awaitPane(session, "ready-42");
            shell(session, "stty size");
            awaitPane(session, "30 100");

            tmux("resize-window", "-t", session, "-x", "90", "-y", "20");
            shell(session, "clear; stty size");
            awaitPane(session, "20 90");

            shell(session, "sleep 100");
            Awaitility.await("sleep 100 running in the guest").atMost(STEP).pollInterval(Duration.ofMillis(500))
                    .until(() -> guest("pidof", "sleep").exit() == 0);
            send(session, "C-c");
            shell(session, "echo alive-$((2+3))");
            Awaitility.await("the shell answers after Ctrl-C, long before sleep 100 ends").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(300)).until(() -> pane(session).contains("alive-5"));
            assertThat(guest("pidof", "sleep").exit()).as("the foreground sleep was interrupted").isNotZero();

            shell(session, "exit 7");
            awaitPane(session, "ARCBOX_EXIT=7");
            awaitPane(session, "TTY:");
            assertThat(pane(session)).as("the terminal is back out of raw mode").contains("TTY: echo icanon isig")
                    .as("no warning from the JVM or JLine").doesNotContainIgnoringCase("warning");
        } finally {
            tmux("kill-session", "-t", session);
        }
    }

    @Test
    void cp_256MiB_inAndOut_keepsTheSha256() throws Exception {
        long size = 256 * MIB;
        Path in = work.resolve("in.bin");
        String inSha = writeDeterministic(in, size);
        long rssBefore = vmHwmKib(daemon.pid());

        long t0 = System.nanoTime();
        Cli up = arcbox("sandbox", "cp", in.toString(), box + ":/root/big.bin");
        long t1 = System.nanoTime();
        assertThat(up.exit()).as(up.err()).isZero();
        Path out = work.resolve("out.bin");
        Cli down = arcbox("sandbox", "cp", box + ":/root/big.bin", out.toString());
        long t2 = System.nanoTime();
        assertThat(down.exit()).as(down.err()).isZero();

        assertThat(Files.size(out)).isEqualTo(size);
        assertThat(sha256(out)).isEqualTo(inSha);
        assertThat(guestSha256("/root/big.bin")).isEqualTo(inSha);
        long rssPeak = vmHwmKib(daemon.pid());
        System.out.printf("cp 256 MiB through bin/arcbox: in %.1f MiB/s, out %.1f MiB/s; daemon VmHWM %d MiB (%d MiB before)%n",
                256 / ((t1 - t0) / 1e9), 256 / ((t2 - t1) / 1e9), rssPeak / 1024, rssBefore / 1024);
        Files.delete(in);
        Files.delete(out);
    }

    @Test
    void theReadmesJavaExample_runsAgainstARealDaemon() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        dev.arcbox.client.examples.HelloSandbox.run(daemon.socket, new PrintStream(printed, true, StandardCharsets.UTF_8));

        assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo("""
                exit 0: Linux
                hello from Java
                piped through cat
                cat exited 0
                clone sees: hello from Java
                """);
    }

    private record Cli(int exit, String err) {}

    private Cli arcbox(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString(), "--socket", daemon.socket.toString()));
        command.addAll(List.of(args));
        Path err = work.resolve("arcbox.err");
        Process p = new ProcessBuilder(command).redirectErrorStream(false)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("bin/arcbox " + String.join(" ", args) + " did not finish");
        }
        return new Cli(p.exitValue(), Files.readString(err));
    }

    private record Guest(int exit, String out) {}

    /** Runs a command in the box through the daemon (not the CLI under test). */
    private Guest guest(String... argv) {
        StringBuilder out = new StringBuilder();
        int[] exit = {-1};
        daemon.sandboxes().run(RunRequest.newBuilder().setId(box).addAllCmd(List.of(argv)).build())
                .forEachRemaining((RunOutput o) -> {
                    if (o.getStream().equals("stdout")) {
                        out.append(o.getData().toStringUtf8());
                    } else if (o.getStream().equals("exit")) {
                        exit[0] = o.getSignal() > 0 ? 128 + o.getSignal() : o.getExitCode();
                    }
                });
        return new Guest(exit[0], out.toString());
    }

    private String guestSha256(String path) {
        return guest("sha256sum", path).out().split("\\s+")[0];
    }

    /** {@code size} bytes from a fixed seed; returns their SHA-256. */
    private static String writeDeterministic(Path file, long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(8);
        byte[] block = new byte[1 << 20];
        try (OutputStream o = Files.newOutputStream(file)) {
            for (long written = 0; written < size; written += block.length) {
                random.nextBytes(block);
                sha.update(block);
                o.write(block);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] b = new byte[1 << 20];
            int n;
            while ((n = in.read(b)) > 0) {
                sha.update(b, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static long vmHwmKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new AssertionError("no VmHWM for " + pid);
    }

    private static void send(String session, String... keys) throws Exception {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", session));
        args.addAll(List.of(keys));
        tmux(args.toArray(String[]::new));
    }

    /**
     * Types a command line at the guest shell's prompt, as a person would: once the prompt is the
     * last line, after Ctrl-U. (busybox ash asks the terminal for the cursor position at each
     * prompt; over a slow TCG guest the answer can come after ash stopped waiting and would end up
     * in the line: Ctrl-U clears it.)
     */
    private static void shell(String session, String line) throws Exception {
        try {
            Awaitility.await("the shell's prompt").atMost(STEP).pollInterval(Duration.ofMillis(300))
                    .until(() -> pane(session).strip().lines().reduce((a, b) -> b).orElse("").contains("~ #"));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no prompt; the terminal shows:\n" + pane(session), e);
        }
        send(session, "C-u");
        send(session, "-l", line);
        send(session, "Enter");
    }

    private static void awaitPane(String session, String text) throws Exception {
        try {
            Awaitility.await("'" + text + "' on the terminal").atMost(STEP).pollInterval(Duration.ofMillis(300))
                    .until(() -> pane(session).contains(text));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("'" + text + "' never showed; the terminal shows:\n" + pane(session), e);
        }
    }

    private static String pane(String session) throws Exception {
        return tmux("capture-pane", "-p", "-t", session);
    }

    private static String tmux(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("tmux"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("tmux " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }
}
