package dev.arcbox.daemon;

import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.HealthRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSnapshotsRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.SystemServiceGrpc;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.testing.TestRun;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A real arcboxd for tests: its own process (started from the test JVM's class path), inside a
 * network namespace made for the test run, with a data dir, socket and memory directory named
 * after the run. Stopped by its pid only.
 */
final class DaemonProcess implements AutoCloseable {

    private static final EventLoopGroup CLIENT_LOOP = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());

    final Path dataDir;
    final Path socket;
    final Path config;
    final String netns;
    private Process process;
    private ManagedChannel channel;
    private final List<String> jvmArgs = new ArrayList<>();
    private boolean hostMounts;

    DaemonProcess(String name, String netns, String extraToml) throws IOException {
        this(name, netns, extraToml, TestRun.ramDir());
    }

    /** A daemon with its own memory directory (so a test can tell its files from other daemons'). */
    DaemonProcess(String name, String netns, String extraToml, Path ramDir) throws IOException {
        this(name, netns, extraToml, ramDir, 8);
    }

    /** A daemon admitting at most {@code maxSandboxes} sandboxes (admission tests). */
    DaemonProcess(String name, String netns, String extraToml, Path ramDir, int maxSandboxes) throws IOException {
        this.netns = netns;
        this.dataDir = Files.createDirectories(TestRun.baseDir().resolve(name));
        this.socket = dataDir.resolve("arcbox.sock");
        this.config = dataDir.resolve("arcboxd.toml");
        String images = System.getProperty("arcbox.images", "/var/lib/arcbox/images");
        Files.writeString(config, """
                data_dir = "%s"
                images = ["%s"]
                [grpc]
                unix_socket = "%s"
                [qemu]
                accel = "auto"
                ram_dir = "%s"
                [limits]
                max_sandboxes = %d
                max_concurrent_boots = %d
                memory_headroom_mib = 256
                %s
                """.formatted(dataDir, images, socket, ramDir, maxSandboxes, Math.min(5, maxSandboxes), extraToml));
    }

    /** Adds a JVM option (e.g. a -D) for the next start. */
    DaemonProcess jvmArg(String arg) {
        jvmArgs.add(arg);
        return this;
    }

    /**
     * Enters the namespace with {@code nsenter --net} instead of {@code ip netns exec}, which
     * remounts /sys for the namespace and so hides the host's cgroup file systems: for tests of
     * cgroups (with sandboxes in mode none only: /sys/class/net then shows the host's devices).
     */
    DaemonProcess hostMounts() {
        hostMounts = true;
        return this;
    }

    /** Drops the JVM options added so far. */
    DaemonProcess clearJvmArgs() {
        jvmArgs.clear();
        return this;
    }

    /** Waits for the daemon to exit by itself (e.g. at a test crash point); returns its code. */
    int awaitExit(Duration deadline) throws InterruptedException {
        if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("arcboxd did not exit: " + log());
        }
        closeChannel();
        return process.exitValue();
    }

    /** Creates the run's network namespace (idempotent). */
    static String netns() throws IOException, InterruptedException {
        return netns("");
    }

    /** Creates a network namespace of the run's, told apart by {@code suffix} (idempotent). */
    static String netns(String suffix) throws IOException, InterruptedException {
        String name = "abx-t" + TestRun.id() + suffix;
        if (!Files.exists(Path.of("/run/netns", name))) {
            run("ip", "netns", "add", name);
            run("ip", "-n", name, "link", "set", "lo", "up");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    run("ip", "netns", "del", name);
                } catch (IOException | InterruptedException ignored) {
                    // best effort at JVM exit
                }
            }));
        }
        return name;
    }

    static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    /** Starts arcboxd; returns once it answers Health. */
    DaemonProcess start() throws IOException {
        process = spawn();
        Awaitility.await("arcboxd serving on " + socket).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("arcboxd exited with " + process.exitValue() + ": " + log());
                    }
                    return healthy();
                });
        return this;
    }

    /** Starts arcboxd and waits for it to exit; returns its exit code. */
    int startExpectingExit() throws IOException, InterruptedException {
        process = spawn();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("arcboxd did not exit: " + log());
        }
        return process.exitValue();
    }

    private Process spawn() throws IOException {
        List<String> command = new ArrayList<>(hostMounts ? List.of("nsenter", "--net=/run/netns/" + netns, "--")
                : List.of("ip", "netns", "exec", netns));
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.arcbox.daemon.Arcboxd",
                "--config", config.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("arcboxd.log").toFile())).start();
    }

    private boolean healthy() {
        try {
            return SystemServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .health(HealthRequest.getDefaultInstance()).getServing();
        } catch (RuntimeException e) {
            return false;
        }
    }

    String log() {
        return FileTree.tail(dataDir.resolve("arcboxd.log"), 4000);
    }

    synchronized ManagedChannel channel() {
        if (channel == null) {
            channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .eventLoopGroup(CLIENT_LOOP).channelType(EpollDomainSocketChannel.class).usePlaintext().build();
        }
        return channel;
    }

    SandboxServiceGrpc.SandboxServiceBlockingStub sandboxes() {
        return SandboxServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
    }

    /** Force-removes every sandbox of this daemon (a test class's clean-up). */
    void removeAllSandboxes() {
        for (var s : sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
            sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
        }
    }

    /** Deletes every snapshot of this daemon (after {@link #removeAllSandboxes}: none is in use then). */
    void deleteAllSnapshots() {
        var snapshots = SnapshotServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
        for (var s : snapshots.list(ListSnapshotsRequest.getDefaultInstance()).getSnapshotsList()) {
            snapshots.delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(s.getId()).build());
        }
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL, as a crash would. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        closeChannel();
    }

    /** SIGTERM; returns whether it exited within the deadline. */
    boolean terminate(Duration deadline) throws InterruptedException {
        process.destroy();
        boolean exited = process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
        closeChannel();
        return exited;
    }

    private synchronized void closeChannel() {
        if (channel != null) {
            channel.shutdownNow();
            channel = null;
        }
    }

    @Override
    public void close() {
        try {
            if (process != null && process.isAlive()) {
                terminate(Duration.ofSeconds(10));
                if (process.isAlive()) {
                    kill();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeChannel();
    }
}
