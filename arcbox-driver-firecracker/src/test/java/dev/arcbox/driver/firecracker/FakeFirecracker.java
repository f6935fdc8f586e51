package dev.arcbox.driver.firecracker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arcbox.driver.firecracker.api.Balloon;
import dev.arcbox.driver.firecracker.api.BalloonUpdate;
import dev.arcbox.driver.firecracker.api.BootSource;
import dev.arcbox.driver.firecracker.api.Drive;
import dev.arcbox.driver.firecracker.api.EntropyDevice;
import dev.arcbox.driver.firecracker.api.FcJson;
import dev.arcbox.driver.firecracker.api.InstanceActionInfo;
import dev.arcbox.driver.firecracker.api.Logger;
import dev.arcbox.driver.firecracker.api.MachineConfiguration;
import dev.arcbox.driver.firecracker.api.MemoryHotplugConfig;
import dev.arcbox.driver.firecracker.api.MemoryHotplugSizeUpdate;
import dev.arcbox.driver.firecracker.api.Metrics;
import dev.arcbox.driver.firecracker.api.MmdsConfig;
import dev.arcbox.driver.firecracker.api.NetworkInterface;
import dev.arcbox.driver.firecracker.api.RateLimiter;
import dev.arcbox.driver.firecracker.api.SerialConfig;
import dev.arcbox.driver.firecracker.api.SnapshotCreateParams;
import dev.arcbox.driver.firecracker.api.SnapshotLoadParams;
import dev.arcbox.driver.firecracker.api.TokenBucket;
import dev.arcbox.driver.firecracker.api.VmState;
import dev.arcbox.driver.firecracker.api.Vsock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A stand-in for Firecracker's API on a Unix socket (Jetty's server), for the driver's logic:
 * it enforces the documented phase rules (pre-boot configuration, post-boot controls, snapshot
 * create only when paused, snapshot load only in a fresh process after nothing but logger and
 * metrics, logger and metrics once, InstanceStart once) and checks every body against the
 * documented fields and types (unknown fields, wrong types, missing required fields, bad enum
 * values are 400 with a fault_message, as Firecracker answers). It also plays the parts of
 * Firecracker the driver depends on: writes to the logger and metrics FIFOs, writes snapshot
 * files holding its configuration, resolves drive paths on load (as Firecracker would, against
 * its working directory or jail root), and serves hybrid vsock.
 */
final class FakeFirecracker implements AutoCloseable {

    private static final Set<String> PRE_BOOT = Set.of("PUT /machine-config", "PUT /boot-source", "PUT /drives",
            "PUT /network-interfaces", "PUT /vsock", "PUT /balloon", "PUT /entropy", "PUT /hotplug/memory",
            "PUT /mmds/config", "PUT /serial", "PUT /cpu-config");
    private static final Set<String> POST_BOOT = Set.of("PATCH /vm", "PATCH /balloon", "GET /balloon/statistics",
            "PATCH /hotplug/memory", "PUT /snapshot/create", "PATCH /drives", "PATCH /network-interfaces");

    private final Path root;
    private final Server server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Map<String, JsonNode> config = new LinkedHashMap<>();
    private final Map<String, Path> resolvedDrives = new LinkedHashMap<>();
    private final FakeVsock vsock = new FakeVsock();
    private String state = "Not started";
    private java.io.PrintStream stdout;
    private boolean loggerSet;
    private boolean metricsSet;
    private boolean loaded;
    private ObjectNode mmds = FcJson.MAPPER.createObjectNode();
    private Path metricsFifo;
    private Path logFifo;
    private String failPath;
    private String failMessage;

    /**
     * @param socket where to serve the API
     * @param root what relative and absolute paths resolve against: the working directory, or
     *     the jail root (absolute paths are chroot-absolute there)
     */
    FakeFirecracker(Path socket, Path root) throws Exception {
        this.root = root;
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setDaemon(true);
        pool.setName("fake-fc");
        server = new Server(pool);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server);
        connector.setUnixDomainPath(socket);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                serve(request, response, callback);
                return true;
            }
        });
        server.start();
    }

    /**
     * Where the guest's serial console goes without {@code /serial}: Firecracker's standard output
     * (the process-level fake passes {@code System.out}); in-process fakes print nothing.
     */
    void stdout(java.io.PrintStream out) {
        this.stdout = out;
    }

    /** A line the guest writes to its serial console: to serial_out_path when set, else to standard output. */
    private void guestConsole(String line) {
        JsonNode serial = config.get("serial");
        try {
            if (serial != null) {
                Files.writeString(resolve(serial.path("serial_out_path").asText()), line + "\n",
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } else if (stdout != null) {
                stdout.println(line);
                stdout.flush();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Every request as {@code METHOD path body}. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    synchronized String state() {
        return state;
    }

    /** The guest side of vsock. */
    FakeVsock vsock() {
        return vsock;
    }

    /** Where each drive's path resolved when the snapshot was loaded (or at boot). */
    synchronized Map<String, Path> resolvedDrives() {
        return Map.copyOf(resolvedDrives);
    }

    synchronized JsonNode mmds() {
        return mmds.deepCopy();
    }

    /** The next request to {@code path} fails with 400 and {@code message}. */
    synchronized void failNext(String path, String message) {
        failPath = path;
        failMessage = message;
    }

    private void serve(Request request, Response response, Callback callback) {
        String method = request.getMethod();
        String path = request.getHttpURI().getPath();
        String body;
        try {
            body = Content.Source.asString(request, StandardCharsets.UTF_8);
        } catch (IOException e) {
            reply(response, callback, 400, fault("unreadable body: " + e.getMessage()));
            return;
        }
        requests.add(method + " " + path + (body.isEmpty() ? "" : " " + body));
        if (request.getHeaders().get("Transfer-Encoding") != null) {
            reply(response, callback, 400, fault("chunked bodies are not supported"));
            return;
        }
        try {
            String answer = handle(method, path, body);
            if (answer == null) {
                reply(response, callback, 204, null);
            } else {
                reply(response, callback, 200, answer);
            }
        } catch (Refused e) {
            reply(response, callback, e.status, fault(e.getMessage()));
        }
    }

    private static String fault(String message) {
        return FcJson.MAPPER.createObjectNode().put("fault_message", message).toString();
    }

    private static void reply(Response response, Callback callback, int status, String json) {
        response.setStatus(status);
        if (json == null) {
            callback.succeeded();
            return;
        }
        response.getHeaders().put("Content-Type", "application/json");
        Content.Sink.write(response, true, json, callback);
    }

    /** A refused request: status and fault message. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static Refused bad(String message) {
        return new Refused(400, message);
    }

    private synchronized String handle(String method, String path, String body) throws Refused {
        if (path.equals(failPath)) {
            failPath = null;
            throw bad(failMessage);
        }
        String[] parts = path.split("/");
        String resource = parts.length > 1 ? "/" + parts[1] : "/";
        if (path.startsWith("/hotplug/")) {
            resource = "/hotplug/memory";
        } else if (path.startsWith("/mmds/config")) {
            resource = "/mmds/config";
        } else if (path.startsWith("/balloon/statistics")) {
            resource = "/balloon/statistics";
        } else if (path.startsWith("/snapshot/")) {
            resource = path;
        }
        String key = method + " " + resource;
        boolean started = !state.equals("Not started");
        if (PRE_BOOT.contains(key) && started) {
            throw bad("The requested operation is not supported after starting the microVM.");
        }
        if (POST_BOOT.contains(key) && !started) {
            throw bad("The requested operation is not supported before starting the microVM.");
        }
        return switch (key) {
            case "GET /" -> FcJson.MAPPER.createObjectNode().put("id", "fake").put("state", state)
                    .put("vmm_version", "1.16.0").put("app_name", "Firecracker").toString();
            case "PUT /logger" -> logger(body);
            case "PUT /metrics" -> metrics(body);
            case "PUT /machine-config" -> configure("machine-config", machine(body));
            case "PUT /boot-source" -> configure("boot-source", bootSource(body));
            case "PUT /drives" -> configure("drives/" + parts[2], drive(parts[2], body));
            case "PUT /network-interfaces" -> configure("network-interfaces/" + parts[2], iface(parts[2], body));
            case "PUT /vsock" -> configure("vsock", vsockDevice(body));
            case "PUT /balloon" -> configure("balloon", balloon(body));
            case "PUT /entropy" -> configure("entropy", entropy(body));
            case "PUT /serial" -> configure("serial", serial(body));
            case "PUT /hotplug/memory" -> configure("hotplug", hotplug(body));
            case "PUT /mmds/config" -> configure("mmds-config", mmdsConfig(body));
            case "PUT /mmds" -> putMmds(body);
            case "GET /mmds" -> mmds.toString();
            case "PUT /actions" -> action(body);
            case "PATCH /vm" -> vmState(body);
            case "PATCH /balloon" -> {
                require(config.containsKey("balloon"), "No balloon device configured.");
                parse(body, BalloonUpdate.class, "amount_mib");
                yield null;
            }
            case "GET /balloon/statistics" -> {
                JsonNode b = config.get("balloon");
                require(b != null && b.path("stats_polling_interval_s").asInt() > 0,
                        "Statistics for the balloon device are not enabled");
                yield "{\"target_pages\":0,\"actual_pages\":0,\"target_mib\":0,\"actual_mib\":0}";
            }
            case "PATCH /hotplug/memory" -> {
                require(config.containsKey("hotplug"), "Memory hotplug is not configured.");
                MemoryHotplugSizeUpdate u = parse(body, MemoryHotplugSizeUpdate.class, "requested_size_mib");
                require(u.requestedSizeMib() <= config.get("hotplug").path("total_size_mib").asLong(),
                        "requested size exceeds total size");
                yield null;
            }
            case "GET /test" -> {
                // test-only: where each drive resolved, for process-level tests
                ObjectNode out = FcJson.MAPPER.createObjectNode();
                resolvedDrives.forEach((k, v) -> out.put(k, v.toString()));
                yield out.toString();
            }
            case "PUT /snapshot/create" -> snapshotCreate(body);
            case "PUT /snapshot/load" -> snapshotLoad(body);
            default -> throw new Refused(400, "Invalid request method and/or path: " + method + " " + path);
        };
    }

    private static void require(boolean ok, String message) throws Refused {
        if (!ok) {
            throw bad(message);
        }
    }

    /** Binds {@code body} strictly; every {@code required} field must be present and not null. */
    private static <T> T parse(String body, Class<T> type, String... required) throws Refused {
        JsonNode tree;
        try {
            tree = FcJson.STRICT.readTree(body);
        } catch (IOException e) {
            throw bad("An error occurred when deserializing the json body of a request: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (tree == null || !tree.isObject()) {
            throw bad("An error occurred when deserializing the json body of a request: not an object");
        }
        for (String field : required) {
            if (!tree.hasNonNull(field)) {
                throw bad("An error occurred when deserializing the json body of a request: missing field `" + field
                        + "`");
            }
        }
        try {
            return FcJson.STRICT.treeToValue(tree, type);
        } catch (IOException e) {
            throw bad("An error occurred when deserializing the json body of a request: " + e.getMessage()
                    .lines().findFirst().orElse(""));
        }
    }

    private static void oneOf(String field, String value, Set<String> allowed) throws Refused {
        if (value != null && !allowed.contains(value)) {
            throw bad("unknown variant `" + value + "` for " + field + ", expected one of " + allowed);
        }
    }

    private static void limiter(RateLimiter l) throws Refused {
        if (l == null) {
            return;
        }
        for (TokenBucket b : new TokenBucket[] {l.bandwidth(), l.ops()}) {
            if (b != null) {
                require(b.size() > 0 && b.refillTime() > 0, "token bucket size and refill_time must be positive");
            }
        }
    }

    private String configure(String name, Object value) {
        if (loaded) {
            return null;
        }
        config.put(name, FcJson.MAPPER.valueToTree(value));
        return null;
    }

    private String logger(String body) throws Refused {
        Logger l = parse(body, Logger.class);
        require(!loggerSet, "Logger already configured.");
        oneOf("level", l.level(), Set.of("Error", "Warning", "Info", "Debug", "Trace", "Off"));
        require(l.logPath() != null, "missing field `log_path`");
        loggerSet = true;
        logFifo = resolve(l.logPath());
        write(logFifo, "fake firecracker: logger configured\n");
        return null;
    }

    private String metrics(String body) throws Refused {
        Metrics m = parse(body, Metrics.class, "metrics_path");
        require(!metricsSet, "Metrics already configured.");
        metricsSet = true;
        metricsFifo = resolve(m.metricsPath());
        writeMetrics();
        return null;
    }

    private int metricsLines;

    private void writeMetrics() {
        metricsLines++;
        write(metricsFifo, "{\"utc_timestamp_ms\":" + System.currentTimeMillis() + ",\"api_server\":{\"requests\":"
                + requests.size() + "},\"vmm\":{\"flushes\":" + metricsLines + "}}\n");
    }

    private static void write(Path fifo, String line) {
        try {
            Files.writeString(fifo, line, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException("writing " + fifo + ": " + e.getMessage(), e);
        }
    }

    /** A path as Firecracker opens it: relative to its working directory, or inside its jail. */
    Path resolve(String path) {
        return root.resolve(path.startsWith("/") && isJail() ? path.substring(1) : path);
    }

    private boolean isJail() {
        return Files.exists(root.resolve(".fake-jail"));
    }

    private static MachineConfiguration machine(String body) throws Refused {
        MachineConfiguration m = parse(body, MachineConfiguration.class, "vcpu_count", "mem_size_mib");
        require(m.vcpuCount() >= 1 && m.vcpuCount() <= 32 && (m.vcpuCount() == 1 || m.vcpuCount() % 2 == 0),
                "The vCPU number is invalid! The vCPU number can only be 1 or an even number when SMT is enabled.");
        require(m.memSizeMib() > 0, "The memory size (MiB) is invalid.");
        oneOf("huge_pages", m.hugePages(), Set.of("None", "2M"));
        oneOf("cpu_template", m.cpuTemplate(), Set.of("C3", "T2", "T2S", "T2CL", "T2A", "V1N1", "None"));
        return m;
    }

    private BootSource bootSource(String body) throws Refused {
        BootSource b = parse(body, BootSource.class, "kernel_image_path");
        require(Files.isRegularFile(resolve(b.kernelImagePath())), "The kernel file cannot be opened: "
                + b.kernelImagePath());
        require(b.initrdPath() == null || Files.isRegularFile(resolve(b.initrdPath())),
                "The initrd file cannot be opened: " + b.initrdPath());
        return b;
    }

    private Drive drive(String id, String body) throws Refused {
        require(id.matches("[A-Za-z0-9_]+"), "API Resource IDs can only contain alphanumeric characters and underscores.");
        Drive d = parse(body, Drive.class, "drive_id", "is_root_device", "path_on_host");
        require(id.equals(d.driveId()), "The id from the path does not match the id from the body!");
        oneOf("cache_type", d.cacheType(), Set.of("Unsafe", "Writeback"));
        oneOf("io_engine", d.ioEngine(), Set.of("Sync", "Async"));
        limiter(d.rateLimiter());
        Path file = resolve(d.pathOnHost());
        require(Files.isRegularFile(file), "Unable to open the drive file " + d.pathOnHost());
        try {
            resolvedDrives.put(id, file.toRealPath());
        } catch (IOException e) {
            throw bad("Unable to open the drive file " + d.pathOnHost());
        }
        return d;
    }

    private static NetworkInterface iface(String id, String body) throws Refused {
        require(id.matches("[A-Za-z0-9_]+"), "API Resource IDs can only contain alphanumeric characters and underscores.");
        NetworkInterface n = parse(body, NetworkInterface.class, "iface_id", "host_dev_name");
        require(id.equals(n.ifaceId()), "The id from the path does not match the id from the body!");
        limiter(n.rxRateLimiter());
        limiter(n.txRateLimiter());
        return n;
    }

    private Vsock vsockDevice(String body) throws Refused {
        Vsock v = parse(body, Vsock.class, "guest_cid", "uds_path");
        require(v.guestCid() >= 3, "invalid guest_cid " + v.guestCid());
        vsock.listen(resolve(v.udsPath()));
        return v;
    }

    private static Balloon balloon(String body) throws Refused {
        return parse(body, Balloon.class, "amount_mib", "deflate_on_oom");
    }

    private static EntropyDevice entropy(String body) throws Refused {
        EntropyDevice e = parse(body, EntropyDevice.class);
        limiter(e.rateLimiter());
        return e;
    }

    private SerialConfig serial(String body) throws Refused {
        SerialConfig s = parse(body, SerialConfig.class, "serial_out_path");
        require(Files.exists(resolve(s.serialOutPath())) || Files.isDirectory(resolve(s.serialOutPath()).getParent()),
                "cannot open serial output " + s.serialOutPath());
        return s;
    }

    private static MemoryHotplugConfig hotplug(String body) throws Refused {
        MemoryHotplugConfig h = parse(body, MemoryHotplugConfig.class, "total_size_mib");
        long slot = h.slotSizeMib() == null ? 128 : h.slotSizeMib();
        long block = h.blockSizeMib() == null ? 2 : h.blockSizeMib();
        require(slot >= 128 && block >= 2 && h.totalSizeMib() % slot == 0, "invalid memory hotplug sizes");
        return h;
    }

    private MmdsConfig mmdsConfig(String body) throws Refused {
        MmdsConfig m = parse(body, MmdsConfig.class, "network_interfaces");
        oneOf("version", m.version(), Set.of("V1", "V2"));
        for (String iface : m.networkInterfaces()) {
            require(config.containsKey("network-interfaces/" + iface),
                    "The list of network interface IDs provided contains at least one ID that does not correspond "
                            + "to any existing network interface.");
        }
        return m;
    }

    private String putMmds(String body) throws Refused {
        try {
            JsonNode data = FcJson.STRICT.readTree(body);
            require(data != null && data.isObject(), "MMDS data must be a JSON object");
            mmds = (ObjectNode) data;
        } catch (IOException e) {
            throw bad("invalid MMDS data: " + e.getMessage());
        }
        return null;
    }

    private String action(String body) throws Refused {
        InstanceActionInfo a = parse(body, InstanceActionInfo.class, "action_type");
        oneOf("action_type", a.actionType(), Set.of("InstanceStart", "FlushMetrics", "SendCtrlAltDel"));
        switch (a.actionType()) {
            case "InstanceStart" -> {
                require(state.equals("Not started"), "The microVM is already running.");
                require(config.containsKey("boot-source"), "Cannot start microvm without kernel configuration.");
                state = "Running";
                vsock.guestListens(true);
                guestConsole("fake guest: booted");
            }
            case "FlushMetrics" -> {
                require(metricsSet, "The metrics system is not initialized.");
                writeMetrics();
            }
            default -> require(!state.equals("Not started"), "The microVM is not running.");
        }
        return null;
    }

    private String vmState(String body) throws Refused {
        VmState v = parse(body, VmState.class, "state");
        oneOf("state", v.state(), Set.of("Paused", "Resumed"));
        state = v.state().equals("Paused") ? "Paused" : "Running";
        return null;
    }

    private String snapshotCreate(String body) throws Refused {
        SnapshotCreateParams p = parse(body, SnapshotCreateParams.class, "snapshot_path", "mem_file_path");
        oneOf("snapshot_type", p.snapshotType(), Set.of("Full", "Diff"));
        require(state.equals("Paused"), "Cannot create a snapshot while the microVM is running; pause it first.");
        ObjectNode saved = FcJson.MAPPER.createObjectNode();
        config.forEach(saved::set);
        try {
            Files.writeString(resolve(p.snapshotPath()), saved.toString());
            Files.writeString(resolve(p.memFilePath()), "memory of " + p.snapshotType());
        } catch (IOException e) {
            throw bad("Cannot write snapshot: " + e.getMessage());
        }
        vsock.reset();
        return null;
    }

    private String snapshotLoad(String body) throws Refused {
        SnapshotLoadParams p = parse(body, SnapshotLoadParams.class, "snapshot_path");
        require(!loaded && state.equals("Not started") && config.isEmpty(),
                "Loading a microVM snapshot not allowed after configuring boot-specific resources.");
        require(p.memBackend() != null, "missing field `mem_backend`");
        oneOf("backend_type", p.memBackend().backendType(), Set.of("File", "Uffd"));
        require(Files.isRegularFile(resolve(p.memBackend().backendPath())), "Cannot open the memory file");
        JsonNode saved;
        try {
            saved = FcJson.MAPPER.readTree(Files.readString(resolve(p.snapshotPath())));
        } catch (IOException e) {
            throw bad("Cannot open the snapshot file: " + e.getMessage());
        }
        List<String> overridden = new ArrayList<>();
        if (p.networkOverrides() != null) {
            for (var o : p.networkOverrides()) {
                require(saved.has("network-interfaces/" + o.ifaceId()), "Invalid network override: no interface "
                        + o.ifaceId() + " in the snapshot");
                overridden.add(o.ifaceId());
            }
        }
        for (var e : saved.properties()) {
            if (e.getKey().startsWith("drives/")) {
                Path file = resolve(e.getValue().path("path_on_host").asText());
                require(Files.isRegularFile(file), "Unable to open the drive file " + file);
                try {
                    resolvedDrives.put(e.getKey().substring("drives/".length()), file.toRealPath());
                } catch (IOException ex) {
                    throw bad("Unable to open the drive file " + file);
                }
            }
        }
        String uds = p.vsockOverride() != null ? p.vsockOverride().udsPath() : saved.path("vsock").path("uds_path").asText();
        vsock.listen(resolve(uds));
        saved.properties().forEach(e -> config.put(e.getKey(), e.getValue()));
        loaded = true;
        state = p.resumeVm() != null && p.resumeVm() ? "Running" : "Paused";
        guestConsole("fake guest: restored from a snapshot");
        vsock.guestListens(true);
        return null;
    }

    @Override
    public void close() throws IOException {
        vsock.close();
        try {
            server.stop();
        } catch (Exception e) {
            throw new IOException("stopping the fake api server: " + e.getMessage(), e);
        }
    }
}
