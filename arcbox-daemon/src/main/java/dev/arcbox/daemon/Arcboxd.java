package dev.arcbox.daemon;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.cgroup.SandboxCgroups;
import dev.arcbox.core.config.DaemonConfig;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.sandbox.SandboxService;
import dev.arcbox.core.store.CrashPoints;
import dev.arcbox.core.store.Store;
import dev.arcbox.core.driver.VmDriver;
import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * arcboxd: loads the configuration, opens the store (refusing a data dir another daemon holds),
 * re-attaches to running VMs, and serves the API on a Unix socket (mode 0660) and, when
 * configured, on TCP with TLS and a bearer token. SIGTERM stops serving within a few seconds
 * and leaves every VM running.
 */
public final class Arcboxd {

    private static final System.Logger LOG = System.getLogger("arcboxd");
    private static final Duration SHUTDOWN_DEADLINE = Duration.ofSeconds(5);

    private Arcboxd() {}

    /** Test-only: the name of a journal crash point at which the daemon halts as if SIGKILLed. */
    static final String CRASH_AT = "arcbox.test.crash-at";

    /**
     * Test-only: a file holding the name of the crash point at which to halt, read at each point,
     * so a test can arm a point just before the operation it means to interrupt (and not during
     * the recovery that follows).
     */
    static final String CRASH_AT_FILE = "arcbox.test.crash-at-file";

    public static void main(String[] args) {
        configureLogging();
        String crashAt = System.getProperty(CRASH_AT);
        String crashAtFile = System.getProperty(CRASH_AT_FILE);
        if (crashAt != null || crashAtFile != null) {
            CrashPoints.install(name -> {
                if (name.equals(crashAt) || name.equals(armed(crashAtFile))) {
                    System.err.println("arcboxd: test crash point " + name + " reached, halting");
                    Runtime.getRuntime().halt(137);
                }
            });
        }
        Optional<Path> configFile = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> {
                    if (i + 1 >= args.length) {
                        exit("--config needs a file");
                    }
                    configFile = Optional.of(Path.of(args[++i]));
                }
                case "-h", "--help" -> {
                    System.out.println("usage: arcboxd [--config FILE]   (TOML; keys not set take the built-in defaults)");
                    return;
                }
                default -> exit("unknown argument '" + args[i] + "' (usage: arcboxd [--config FILE])");
            }
        }
        try {
            run(configFile);
        } catch (ArcboxException e) {
            exit(e.getMessage());
        }
    }

    private static String armed(String file) {
        if (file == null) {
            return null;
        }
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static void exit(String message) {
        System.err.println("arcboxd: " + message);
        System.exit(2);
    }

    static void run(Optional<Path> configFile) {
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new ArcboxException.FailedPrecondition("must run as root (it creates VMs, TAP devices and firewall rules)");
        }
        DaemonConfig config = DaemonConfig.load(configFile);
        Instant started = Instant.now();
        createDirectories(config.dataDir());
        Store store = Store.open(config.dataDir());
        GuestImage image = GuestImage.load(config.images().getFirst());
        SandboxCgroups cgroups = SandboxCgroups.start(config.limits(), config.dataDir());
        VmDriver driver = Drivers.choose(config, cgroups);
        SandboxService sandboxes = new SandboxService(config, store, driver, image, Clock.systemUTC(), cgroups);
        sandboxes.recover();
        MetricsEndpoint metrics = new MetricsEndpoint(config, sandboxes);
        config.metrics().address().ifPresent(metrics::serve);
        HealthStatusManager health = new HealthStatusManager();
        List<Server> servers = new ArrayList<>();
        servers.add(unixServer(config, sandboxes, image, started, health, metrics));
        config.grpc().tcpAddr().ifPresent(addr -> servers.add(tcpServer(config, addr, sandboxes, image, started, health,
                metrics)));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.log(System.Logger.Level.INFO, "stopping: sandboxes keep running");
            health.enterTerminalState();
            servers.forEach(Server::shutdown);
            for (Server s : servers) {
                try {
                    if (!s.awaitTermination(SHUTDOWN_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
                        s.shutdownNow();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    s.shutdownNow();
                }
            }
            sandboxes.close();
            metrics.close();
            cgroups.close();
            store.close();
        }, "arcboxd-shutdown"));
        LOG.log(System.Logger.Level.INFO, "serving on unix:" + config.grpc().unixSocket() + " driver=" + driver.id()
                + " data_dir=" + config.dataDir() + " kernel=" + image.kernelVersion());
        try {
            servers.getFirst().awaitTermination();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Server unixServer(DaemonConfig config, SandboxService sandboxes, GuestImage image, Instant started,
            HealthStatusManager health, MetricsEndpoint metrics) {
        Path socket = config.grpc().unixSocket();
        createDirectories(socket.getParent());
        try {
            // the store lock proves no other daemon owns this data dir; a socket left here is stale
            Files.deleteIfExists(socket);
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
            Server server = services(NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(group)
                    .workerEventLoopGroup(group), config, sandboxes, image, started, health, metrics, false)
                    .build()
                    .start();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
            if (config.grpc().socketGroup().isPresent()) {
                GroupPrincipal g = socket.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByGroupName(config.grpc().socketGroup().get());
                Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(g);
            }
            return server;
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("serving on " + socket + ": " + e.getMessage(), e);
        }
    }

    private static Server tcpServer(DaemonConfig config, String addr, SandboxService sandboxes, GuestImage image,
            Instant started, HealthStatusManager health, MetricsEndpoint metrics) {
        int colon = addr.lastIndexOf(':');
        try {
            String token = Files.readString(config.grpc().tokenFile().orElseThrow()).strip();
            if (token.length() < 16) {
                throw new ArcboxException.InvalidArgument("grpc.token_file: the token must have at least 16 characters");
            }
            var builder = NettyServerBuilder.forAddress(new InetSocketAddress(addr.substring(0, colon),
                            Integer.parseInt(addr.substring(colon + 1))))
                    .sslContext(GrpcSslContexts.forServer(config.grpc().tlsCert().orElseThrow().toFile(),
                            config.grpc().tlsKey().orElseThrow().toFile()).build());
            return services(builder, config, sandboxes, image, started, health, metrics, true)
                    .intercept(new TokenAuth(token)).build().start();
        } catch (IOException | RuntimeException e) {
            if (e instanceof ArcboxException ae) {
                throw ae;
            }
            throw new ArcboxException.HostFailure("serving on tcp " + addr + ": " + e.getMessage(), e);
        }
    }

    private static NettyServerBuilder services(NettyServerBuilder builder, DaemonConfig config, SandboxService sandboxes,
            GuestImage image, Instant started, HealthStatusManager health, MetricsEndpoint metrics, boolean remote) {
        builder.executor(Executors.newVirtualThreadPerTaskExecutor())
                .intercept(metrics.api())
                .addService(new SandboxApi(sandboxes))
                .addService(new SnapshotApi(sandboxes.snapshots()))
                .addService(new ProcessApi(sandboxes))
                .addService(new FilesApi(sandboxes))
                .addService(new SystemApi(config, sandboxes, image, started))
                .addService(health.getHealthService());
        if (!remote) {
            builder.addService(ProtoReflectionServiceV1.newInstance());
        }
        return builder;
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("creating " + dir + ": " + e.getMessage(), e);
        }
    }

    /** One line per record: time, level, logger, message — easy to grep and to parse. */
    static void configureLogging() {
        System.setProperty("java.util.logging.SimpleFormatter.format",
                "%1$tFT%1$tT.%1$tLZ level=%4$s logger=%3$s msg=\"%5$s\"%6$s%n");
        Logger.getLogger("io.netty").setLevel(Level.SEVERE);
        Logger.getLogger("io.grpc.netty").setLevel(Level.SEVERE);
    }

}
