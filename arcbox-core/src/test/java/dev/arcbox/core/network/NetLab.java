package dev.arcbox.core.network;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.testing.TestRun;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * Network namespaces for one test: every namespace is named {@code abx-n<run id>-…}, every link and
 * rule of a test is made inside them, and {@link #close} deletes them (and kills what was started
 * in them) whether the test passed or not. Nothing here runs in the host's own namespace except
 * {@code ip netns add/del/list}.
 */
final class NetLab implements AutoCloseable {

    /** The prefix of every namespace of this test JVM. */
    static final String PREFIX = "abx-n" + TestRun.id();

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final List<String> TOOLS = List.of("ip", "bridge", "nft", "sysctl", "busybox", "socat", "ss");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(NetLab::deleteLeftovers, "netlab-cleanup"));
    }

    private final NetCommands host = NetCommands.host();
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    /** Skips the calling test, naming what is missing, unless root and the tools are there. */
    static void assumeHost() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root (network namespaces, nft)");
        List<String> missing = TOOLS.stream().filter(t -> NetCommands.locate(t).isEmpty()).toList();
        Assumptions.assumeTrue(missing.isEmpty(), () -> "needs " + missing + " on PATH or in /usr/sbin");
    }

    /** A fresh namespace with loopback up; {@code role} goes into its name. */
    String netns(String role) {
        String name = PREFIX + "-" + role + SEQ.incrementAndGet();
        namespaces.add(name);
        host.run("ip", "netns", "add", name);
        in(name).run("ip", "link", "set", "dev", "lo", "up");
        return name;
    }

    NetCommands in(String netns) {
        return NetCommands.inNetns(netns);
    }

    /**
     * A "guest": a namespace whose {@code eth0} is one end of a veth pair; the other end,
     * {@code hubEnd}, is made in {@code hub} (and left unattached and down). Stands in for a TAP + VM.
     */
    String guest(String hub, String hubEnd, String mac, String address, int prefix, String gateway) {
        String ns = netns("g");
        in(hub).run("ip", "link", "add", hubEnd, "type", "veth", "peer", "name", "eth0", "netns", ns);
        NetCommands g = in(ns);
        g.run("ip", "link", "set", "dev", "eth0", "address", mac);
        g.run("ip", "addr", "add", address + "/" + prefix, "dev", "eth0");
        g.run("ip", "link", "set", "dev", "eth0", "up");
        g.run("ip", "route", "add", "default", "via", gateway);
        return ns;
    }

    /** A namespace joined to {@code hub} by a veth pair, addressed as a /30, with no route back to anything else. */
    String uplink(String hub, String hubEnd, String hubAddress, String upAddress) {
        String ns = netns("u");
        in(hub).run("ip", "link", "add", hubEnd, "type", "veth", "peer", "name", "up0", "netns", ns);
        in(hub).run("ip", "addr", "add", hubAddress + "/30", "dev", hubEnd);
        in(hub).run("ip", "link", "set", "dev", hubEnd, "up");
        in(ns).run("ip", "addr", "add", upAddress + "/30", "dev", "up0");
        in(ns).run("ip", "link", "set", "dev", "up0", "up");
        return ns;
    }

    /** Starts {@code argv} inside {@code netns} in the background; killed by {@link #close}. */
    Process spawn(String netns, String... argv) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns));
        command.addAll(List.of(argv));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("starting " + command + ": " + e.getMessage(), e);
        }
    }

    /** Namespaces of this run that still exist. */
    static List<String> leftovers() {
        return NetCommands.host().run("ip", "netns", "list").stdout().lines()
                .map(line -> line.split(" ")[0])
                .filter(name -> name.startsWith(PREFIX))
                .toList();
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (String ns : namespaces.reversed()) {
            NetCommands.Result result = host.attempt("ip", "netns", "del", ns);
            if (!result.ok() && !result.stderr().contains("No such file")) {
                RuntimeException e = new ArcboxException.HostFailure("deleting netns " + ns + ": " + result.errorText(), null);
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        namespaces.clear();
        if (failure != null) {
            throw failure;
        }
    }

    private static void deleteLeftovers() {
        try {
            for (String ns : leftovers()) {
                NetCommands.host().attempt("ip", "netns", "del", ns);
            }
        } catch (RuntimeException e) {
            // best effort at JVM exit; the tests assert no leftovers themselves
        }
    }
}
