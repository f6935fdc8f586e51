package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.api.v1.CheckpointRequest;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.DeleteSnapshotRequest;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.RestoreRequest;
import dev.arcbox.api.v1.RestoreResponse;
import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SnapshotServiceGrpc;
import dev.arcbox.api.v1.StartSandboxRequest;
import dev.arcbox.api.v1.StopSandboxRequest;
import dev.arcbox.core.testing.TestRun;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Sandboxes in mode tap, for real: arcboxd in its own network namespace creates its bridge,
 * TAPs and nftables tables there; guests ping only inside that namespace.
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class NetworkTest {

    private static final String GATEWAY = "172.30.0.1";
    /** The daemon namespace's end of the link to the stand-in for the internet. */
    private static final String HOST_ADDRESS = "10.99.0.1";
    private static final String UPLINK = "10.99.0.2";
    private DaemonProcess daemon;
    private String netns;
    private String uplink;

    @BeforeAll
    void start() throws Exception {
        TestRun.assumeQemuHost();
        // a namespace of its own: the bridge and rules of this class must not meet the others'
        netns = "abx-w" + TestRun.id();
        DaemonProcess.run("ip", "netns", "add", netns);
        DaemonProcess.run("ip", "-n", netns, "link", "set", "lo", "up");
        // an "uplink" namespace stands in for the internet: every address here exists only in these two
        uplink = "abx-u" + TestRun.id();
        DaemonProcess.run("ip", "netns", "add", uplink);
        DaemonProcess.run("ip", "-n", uplink, "link", "set", "lo", "up");
        DaemonProcess.run("ip", "link", "add", "vw" + TestRun.id(), "netns", netns, "type", "veth",
                "peer", "name", "vu" + TestRun.id(), "netns", uplink);
        DaemonProcess.run("ip", "-n", netns, "addr", "add", HOST_ADDRESS + "/30", "dev", "vw" + TestRun.id());
        DaemonProcess.run("ip", "-n", netns, "link", "set", "vw" + TestRun.id(), "up");
        DaemonProcess.run("ip", "-n", uplink, "addr", "add", UPLINK + "/30", "dev", "vu" + TestRun.id());
        DaemonProcess.run("ip", "-n", uplink, "link", "set", "vu" + TestRun.id(), "up");
        DaemonProcess.run("ip", "-n", netns, "route", "add", "default", "via", UPLINK);
        // an HTTP server in the stand-in internet (busybox httpd, backgrounds itself; killed with its namespace)
        java.nio.file.Path www = java.nio.file.Files.createDirectories(TestRun.baseDir().resolve("www-" + TestRun.id()));
        java.nio.file.Files.writeString(www.resolve("index.html"), "hello from the uplink\n");
        DaemonProcess.run("ip", "netns", "exec", uplink, "busybox", "httpd", "-p", UPLINK + ":80", "-h", www.toString());
        daemon = new DaemonProcess("net-" + TestRun.id(), netns, "").start();
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (daemon != null) {
                daemon.removeAllSandboxes();
                assertThat(links()).as("TAPs left").noneMatch(l -> l.startsWith("abx"));
                daemon.close();
            }
        } finally {
            DaemonProcess.run("ip", "netns", "del", netns);
            if (uplink != null) {
                killHttpd();
                DaemonProcess.run("ip", "netns", "del", uplink);
            }
        }
    }

    /** Stops the uplink's httpd: the process in that namespace listening on port 80, by its pid. */
    private void killHttpd() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "pids", uplink).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        for (String pid : out.split("\\s+")) {
            if (!pid.isBlank()) {
                ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroy);
            }
        }
    }

    private List<String> links() throws Exception {
        Process p = new ProcessBuilder("ip", "-n", netns, "-o", "link", "show").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        List<String> names = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] parts = line.split(": ");
            if (parts.length > 1) {
                names.add(parts[1].split("@")[0]);
            }
        }
        return names;
    }

    private SandboxInfo create(String id) {
        return create(CreateSandboxRequest.newBuilder().setId(id));
    }

    private SandboxInfo create(CreateSandboxRequest.Builder request) {
        daemon.sandboxes().create(request.setWait(true).setNetwork(NetworkSpec.newBuilder().setMode("tap")).build());
        return inspect(request.getId());
    }

    @Test
    void aGuestThatChangesItsAddressOrMac_getsNothingThrough() {
        String id = "spoof-" + TestRun.vmId();
        SandboxInfo info = create(id);
        assertThat(exit(id, "ping -c 1 -W 5 " + GATEWAY)).isZero();
        assertThat(exit(id, "ip addr add 172.30.0.250/24 dev eth0 && ping -c 1 -W 2 -I 172.30.0.250 " + GATEWAY))
                .as("a source address that is not its lease").isNotZero();
        assertThat(exit(id, "ip addr del 172.30.0.250/24 dev eth0; ping -c 1 -W 5 " + GATEWAY)).isZero();
        assertThat(exit(id, "ip link set eth0 address 02:11:22:33:44:55 && ip neigh flush all && ping -c 1 -W 2 "
                + GATEWAY)).as("a MAC that is not its lease's").isNotZero();
        assertThat(exit(id, "ip link set eth0 address " + info.getNetwork().getMac() + " && ip neigh flush all && "
                + "ping -c 1 -W 5 " + GATEWAY)).isZero();
        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
    }

    /**
     * A pool of five addresses: create/remove cycles, forks and removals while starting leak no
     * lease (all five can be leased afterwards), no TAP and no rule; a sixth is RESOURCE_EXHAUSTED.
     */
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // 80 VMs: over 5 minutes on a loaded 2-core TCG host
    void cycles_leakNothing_andTheExhaustedPoolSaysSo() throws Exception {
        String ns = "abx-x" + TestRun.id();
        DaemonProcess.run("ip", "netns", "add", ns);
        DaemonProcess small = null;
        try {
            DaemonProcess.run("ip", "-n", ns, "link", "set", "lo", "up");
            small = new DaemonProcess("pool-" + TestRun.id(), ns,
                    "[network]\nbridge = \"arcbox9\"\ncidr = \"172.31.9.0/29\"\ngateway = \"172.31.9.1\"\n"
                            + "dns = [\"172.31.9.1\"]\n").start();
            // a stub's deadline is absolute: one stub per call, or 50 cycles on a loaded host outlive it
            DaemonProcess pool = small;
            java.util.function.Supplier<dev.arcbox.api.v1.SandboxServiceGrpc.SandboxServiceBlockingStub> api = pool::sandboxes;
            java.util.function.Supplier<SnapshotServiceGrpc.SnapshotServiceBlockingStub> snapshots =
                    () -> SnapshotServiceGrpc.newBlockingStub(pool.channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
            api.get().create(CreateSandboxRequest.newBuilder().setId("base").setWait(true)
                    .setNetwork(NetworkSpec.newBuilder().setMode("tap")).build());
            String snap = snapshots.get().checkpoint(CheckpointRequest.newBuilder().setSandboxId("base").build()).getSnapshotId();
            int cycles = 0;
            for (int i = 0; i < 20; i++, cycles++) {
                // removed while it starts
                api.get().create(CreateSandboxRequest.newBuilder().setId("early-" + i).setWait(false)
                        .setNetwork(NetworkSpec.newBuilder().setMode("tap")).build());
                api.get().remove(RemoveSandboxRequest.newBuilder().setId("early-" + i).setForce(true).build());
            }
            for (int i = 0; i < 30; i++, cycles++) {
                RestoreResponse r = snapshots.get().restore(RestoreRequest.newBuilder().setSnapshotId(snap)
                        .setId("cycle-" + i).setCount(2).build());
                for (String id : r.getIdsList()) {
                    api.get().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
                }
            }
            assertThat(cycles).isEqualTo(50);
            org.awaitility.Awaitility.await("TAPs of removed sandboxes gone").atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> tapsIn(ns).size() == 1);
            // every address came back: the four free ones can be leased again, a fifth more cannot
            RestoreResponse four = snapshots.get().restore(RestoreRequest.newBuilder().setSnapshotId(snap)
                    .setId("full").setCount(4).build());
            assertThat(four.getIdsList()).hasSize(4);
            var exhausted = org.assertj.core.api.Assertions.catchThrowableOfType(io.grpc.StatusRuntimeException.class,
                    () -> api.get().create(CreateSandboxRequest.newBuilder().setId("one-too-many").setNoStart(true)
                            .setNetwork(NetworkSpec.newBuilder().setMode("tap")).build()));
            assertThat(exhausted.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED);
            assertThat(api.get().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesCount()).isEqualTo(5);
            for (var s : api.get().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                api.get().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
            }
            snapshots.get().delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(snap).build());
            assertThat(tapsIn(ns)).isEmpty();
            assertThat(nftRuleset(ns)).as("no rule names a removed TAP").doesNotContainPattern("abx[a-z0-9]{8}");
        } finally {
            if (small != null) {
                // sandboxes outlive a daemon by design: take them down before it goes
                try {
                    for (var s : small.sandboxes().list(ListSandboxesRequest.getDefaultInstance()).getSandboxesList()) {
                        small.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(s.getId()).setForce(true).build());
                    }
                } catch (io.grpc.StatusRuntimeException e) {
                    // the daemon is down; the failure that brought us here says why
                }
                small.close();
            }
            DaemonProcess.run("ip", "netns", "del", ns);
        }
    }

    private static List<String> tapsIn(String ns) throws Exception {
        Process p = new ProcessBuilder("ip", "-n", ns, "-o", "link", "show").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        List<String> taps = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] parts = line.split(": ");
            if (parts.length > 1 && parts[1].startsWith("abx")) {
                taps.add(parts[1]);
            }
        }
        return taps;
    }

    private static String nftRuleset(String ns) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", ns, "nft", "list", "ruleset").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    @Test
    void egressPolicy_andPortForwards() throws Exception {
        String open = "open-" + TestRun.vmId();
        String closed = "closed-" + TestRun.vmId();
        String denied = "denied-" + TestRun.vmId();
        create(open);
        create(CreateSandboxRequest.newBuilder().setId(closed)
                .setEgress(dev.arcbox.api.v1.EgressSpec.newBuilder().setDenyInternet(true)));
        SandboxInfo d = create(CreateSandboxRequest.newBuilder().setId(denied)
                .setEgress(dev.arcbox.api.v1.EgressSpec.newBuilder().addDenyCidrs("10.99.0.0/30"))
                .addPortForwards(dev.arcbox.api.v1.PortForward.newBuilder().setHostAddress(HOST_ADDRESS)
                        .setHostPort(18080).setGuestPort(8080)));
        assertThat(d.getPortForwardsList()).hasSize(1);
        assertThat(exit(open, "ping -c 1 -W 5 " + UPLINK)).as("internet allowed by default").isZero();
        // an HTTP GET with busybox nc (busybox's static wget crashes on this libc)
        String get = "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " + UPLINK + " 80";
        assertThat(out(open, get)).as("fetched through NAT").contains("200 OK").endsWith("hello from the uplink\n");
        assertThat(out(closed, get)).as("no internet").doesNotContain("hello from the uplink");
        assertThat(exit(closed, "ping -c 1 -W 2 " + UPLINK)).as("internet denied").isNotZero();
        assertThat(exit(denied, "ping -c 1 -W 2 " + UPLINK)).as("cidr denied").isNotZero();
        assertThat(exit(closed, "ping -c 1 -W 5 " + GATEWAY)).as("the gateway stays reachable").isZero();

        exit(denied, "nc -ll -p 8080 -e /bin/echo forwarded >/dev/null 2>&1 &");
        // from the stand-in internet to the host address, forwarded into the sandbox (the guest's
        // listener starts in the background: retry until it answers)
        org.awaitility.Awaitility.await("port forward answers").atMost(java.time.Duration.ofSeconds(30))
                .until(() -> fetch(uplink, HOST_ADDRESS, 18080), "forwarded\n"::equals);
        for (String id : List.of(open, closed, denied)) {
            daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        }
    }

    private static java.util.Map<String, String> digests(java.nio.file.Path dir) throws Exception {
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        try (var files = java.nio.file.Files.list(dir)) {
            for (java.nio.file.Path f : files.toList()) {
                var md = java.security.MessageDigest.getInstance("SHA-256");
                try (var in = java.nio.file.Files.newInputStream(f)) {
                    byte[] buf = new byte[1 << 20];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        md.update(buf, 0, n);
                    }
                }
                out.put(f.getFileName().toString(), java.util.HexFormat.of().formatHex(md.digest()));
            }
        }
        return out;
    }

    private static String fetch(String namespace, String address, int port) throws Exception {
        Process client = new ProcessBuilder("ip", "netns", "exec", namespace, "busybox", "nc", "-w", "3", address,
                Integer.toString(port)).redirectErrorStream(true).start();
        client.getOutputStream().close();
        String answer = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        client.waitFor(10, TimeUnit.SECONDS);
        return answer;
    }

    private SandboxInfo inspect(String id) {
        return daemon.sandboxes().inspect(InspectSandboxRequest.newBuilder().setId(id).build());
    }

    private int exit(String id, String script) {
        Iterator<RunOutput> it = daemon.sandboxes().run(RunRequest.newBuilder().setId(id)
                .addAllCmd(List.of("sh", "-c", script)).build());
        RunOutput last = null;
        while (it.hasNext()) {
            last = it.next();
        }
        return last.getExitCode();
    }

    private String out(String id, String script) {
        StringBuilder sb = new StringBuilder();
        Iterator<RunOutput> it = daemon.sandboxes().run(RunRequest.newBuilder().setId(id)
                .addAllCmd(List.of("sh", "-c", script)).build());
        while (it.hasNext()) {
            RunOutput o = it.next();
            if (o.getStream().equals("stdout")) {
                sb.append(o.getData().toString(StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    @Test
    void tapSandboxes_reachTheGateway_notEachOther_keepTheirAddressAcrossStopStart_andFiveForksGetTheirOwn()
            throws Exception {
        String a = "neta-" + TestRun.vmId();
        String b = "netb-" + TestRun.vmId();
        SandboxInfo ia = create(a);
        SandboxInfo ib = create(b);
        assertThat(ia.getNetwork().getIpAddress()).startsWith("172.30.0.").isNotEqualTo(ib.getNetwork().getIpAddress());
        assertThat(ia.getNetwork().getGateway()).isEqualTo(GATEWAY);
        assertThat(out(a, "cat /sys/class/net/eth0/address")).isEqualTo(ia.getNetwork().getMac() + "\n");
        assertThat(links()).contains("abx" + ia.getUid(), "abx" + ib.getUid());
        assertThat(out(a, "ip -4 -o addr show dev eth0")).contains(ia.getNetwork().getIpAddress() + "/24");
        assertThat(exit(a, "ping -c 1 -W 5 " + GATEWAY)).isZero();
        assertThat(exit(a, "ping -c 1 -W 2 " + ib.getNetwork().getIpAddress())).isNotZero();

        daemon.sandboxes().stop(StopSandboxRequest.newBuilder().setId(a).setTimeoutSeconds(10).build());
        assertThat(links()).doesNotContain("abx" + ia.getUid());
        daemon.sandboxes().start(StartSandboxRequest.newBuilder().setId(a).setWait(true).build());
        assertThat(inspect(a).getNetwork().getIpAddress()).isEqualTo(ia.getNetwork().getIpAddress());
        assertThat(exit(a, "ping -c 1 -W 5 " + GATEWAY)).isZero();

        daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(b).setForce(true).build());
        assertThat(links()).doesNotContain("abx" + ib.getUid());

        var snapshots = SnapshotServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(3, TimeUnit.MINUTES);
        var checkpoint = snapshots.checkpoint(CheckpointRequest.newBuilder().setSandboxId(a).build());
        String snap = checkpoint.getSnapshotId();
        java.util.Map<String, String> before = digests(java.nio.file.Path.of(checkpoint.getSnapshotDir()));
        RestoreResponse forks = snapshots.restore(RestoreRequest.newBuilder().setSnapshotId(snap)
                .setId("fork-" + TestRun.vmId()).setCount(5).build());
        assertThat(forks.getIdsList()).hasSize(5);
        Set<String> addresses = new HashSet<>();
        Set<String> random = new HashSet<>();
        addresses.add(ia.getNetwork().getIpAddress());
        for (String id : forks.getIdsList()) {
            SandboxInfo info = inspect(id);
            assertThat(info.getState()).isEqualTo("ready");
            addresses.add(info.getNetwork().getIpAddress());
            assertThat(out(id, "ip -4 -o addr show dev eth0")).contains(info.getNetwork().getIpAddress() + "/24")
                    .doesNotContain(ia.getNetwork().getIpAddress() + "/");
            assertThat(exit(id, "ping -c 1 -W 5 " + GATEWAY)).as("fork %s reaches the gateway", id).isZero();
            random.add(out(id, "head -c 16 /dev/urandom | od -An -tx1"));
            assertThat(exit(id, "echo " + id + " > /root/who")).isZero();
        }
        for (String id : forks.getIdsList()) {
            assertThat(out(id, "cat /root/who")).as("forks diverge").isEqualTo(id + "\n");
        }
        assertThat(addresses).as("five forks and the origin, six addresses").hasSize(6);
        assertThat(random).as("distinct randomness").hasSize(5);
        assertThat(exit(a, "ping -c 1 -W 5 " + GATEWAY)).as("the origin keeps running, networked").isZero();
        for (String id : forks.getIdsList()) {
            daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(id).setForce(true).build());
        }
        assertThat(digests(java.nio.file.Path.of(checkpoint.getSnapshotDir()))).as("snapshot unchanged").isEqualTo(before);
        snapshots.delete(DeleteSnapshotRequest.newBuilder().setSnapshotId(snap).build());
    }
}
