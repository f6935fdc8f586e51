package dev.arcbox.bench;

import dev.arcbox.api.v1.HealthRequest;
import dev.arcbox.api.v1.SandboxServiceGrpc;
import dev.arcbox.api.v1.SystemServiceGrpc;
import dev.arcbox.core.fs.FileTree;
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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real arcboxd for the bench: its own JVM (started from the bench JVM's class path, with the
 * JVM flags of bin/arcboxd), inside a network namespace the bench made, with its config, store,
 * socket and log in a data dir of the run. Stopped only through the process it started.
 */
final class BenchDaemon implements AutoCloseable {

    /** The daemon JVM's options: those of bin/arcboxd (RSS depends on them); printed with the figures. */
    static final List<String> JVM_OPTIONS = List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xss512k");

    final Path dataDir;
    final Path socket;
    private final Path config;
    private final String netns;
    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private Process process;
    private ManagedChannel channel;
    private boolean hostMounts;

    /** Writes the config; {@code limits} is the body of its {@code [limits]} table. */
    BenchDaemon(Path dataDir, String netns, Path ramDir, String limits) throws IOException {
        this.dataDir = Files.createDirectories(dataDir);
        this.netns = netns;
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
                %s
                """.formatted(dataDir, images, socket, ramDir, limits));
    }

    /**
     * Enters the namespace with {@code nsenter --net} (keeps the host's /sys and so its cgroup
     * file systems, which {@code ip netns exec} remounts away); for sandboxes in mode none.
     */
    BenchDaemon hostMounts() {
        hostMounts = true;
        return this;
    }

    /** Starts arcboxd; returns once it answers Health (at most 60 s). */
    BenchDaemon start() throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(hostMounts
                ? List.of("nsenter", "--net=/run/netns/" + netns, "--") : List.of("ip", "netns", "exec", netns));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.arcbox.daemon.Arcboxd",
                "--config", config.toString()));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("arcboxd.log").toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!healthy()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("arcboxd exited with " + process.exitValue() + ": " + log());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("arcboxd not serving after 60 s: " + log());
            }
            Thread.sleep(100);
        }
        // `ip netns exec` and `nsenter` exec the command: the pid started is the daemon's JVM
        String cmdline = Files.readString(Path.of("/proc/" + process.pid() + "/cmdline")).replace('\0', ' ');
        if (!cmdline.contains("dev.arcbox.daemon.Arcboxd")) {
            throw new IllegalStateException("pid " + process.pid() + " is not arcboxd: " + cmdline);
        }
        return this;
    }

    private boolean healthy() {
        try {
            return SystemServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(2, TimeUnit.SECONDS)
                    .health(HealthRequest.getDefaultInstance()).getServing();
        } catch (RuntimeException e) {
            return false;
        }
    }

    synchronized ManagedChannel channel() {
        if (channel == null) {
            channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .eventLoopGroup(loop).channelType(EpollDomainSocketChannel.class).usePlaintext()
                    .maxInboundMessageSize(64 << 20).build();
        }
        return channel;
    }

    SandboxServiceGrpc.SandboxServiceBlockingStub sandboxes() {
        return SandboxServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** VmRSS of the daemon's process, in KiB. */
    long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for pid " + process.pid());
    }

    String log() {
        return FileTree.tail(dataDir.resolve("arcboxd.log"), 4000);
    }

    /** SIGTERM to the started pid, then SIGKILL after 15 s; closes the client. */
    @Override
    public void close() {
        try {
            synchronized (this) {
                if (channel != null) {
                    channel.shutdownNow();
                    channel.awaitTermination(5, TimeUnit.SECONDS);
                    channel = null;
                }
            }
            if (process != null && process.isAlive()) {
                process.destroy();
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(15, TimeUnit.SECONDS);
                }
            }
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            Thread.currentThread().interrupt();
        }
    }
}
