package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.NetConfig;
import dev.arcbox.core.config.NetworkConfig;
import dev.arcbox.core.driver.NicPlan;
import dev.arcbox.core.network.Bridge;
import dev.arcbox.core.network.Diagnostics;
import dev.arcbox.core.network.EgressPolicy;
import dev.arcbox.core.network.Firewall;
import dev.arcbox.core.network.FirewallState;
import dev.arcbox.core.network.NetCommands;
import dev.arcbox.core.network.PortForward;
import dev.arcbox.core.network.SandboxNet;
import dev.arcbox.core.network.Taps;
import dev.arcbox.core.store.Ipv4Pool;
import dev.arcbox.core.store.LeaseRow;
import dev.arcbox.core.store.Store;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Sandbox networking in mode {@code tap}: one TAP per sandbox (named from its uid) on the
 * configured bridge with port isolation, an address lease from the pool (kept across stop and
 * start, released only after the TAP is gone), and the firewall state rebuilt and applied
 * atomically whenever a sandbox joins or leaves. Thread safe: one lock serializes applies.
 */
final class SandboxNetworking {

    private static final System.Logger LOG = System.getLogger(SandboxNetworking.class.getName());

    private final NetworkConfig config;
    private final Store store;
    private final Ipv4Pool pool;
    private final Taps taps;
    private final Firewall firewall;
    private final Bridge bridge;
    private FirewallState state;
    private String unavailable;
    private boolean ready;

    SandboxNetworking(NetworkConfig config, Store store) {
        this.config = config;
        this.store = store;
        this.pool = new Ipv4Pool(config.cidr(), config.gateway());
        NetCommands commands = NetCommands.host().withTimeout(java.time.Duration.ofSeconds(20));
        this.taps = new Taps(commands);
        this.firewall = new Firewall(commands);
        this.bridge = new Bridge(commands);
        this.state = FirewallState.empty(config);
    }

    /**
     * Makes the bridge ready, once, on first need: a daemon whose sandboxes all run without a
     * network never touches the host's links, forwarding or firewall. On failure tap mode is
     * reported unavailable (mode none still works).
     */
    private void ensureBridge() {
        if (ready || unavailable != null) {
            return;
        }
        try {
            Diagnostics d = bridge.ensure(config);
            d.messages().forEach(m -> LOG.log(System.Logger.Level.WARNING, "network: " + m));
            ready = true;
        } catch (ArcboxException e) {
            unavailable = e.getMessage();
            LOG.log(System.Logger.Level.WARNING, "network: sandbox networking unavailable: " + unavailable);
        }
    }

    /** Throws Unsupported when tap mode cannot work on this host. */
    synchronized void checkAvailable() {
        ensureBridge();
        if (unavailable != null) {
            throw new ArcboxException.Unsupported("network: mode tap is unavailable on this host: " + unavailable);
        }
    }

    /** After recovery: applies the firewall for every sandbox with a live TAP, removes TAPs nobody owns. */
    synchronized void rebuild(Map<String, SandboxNet> active, Set<String> ownedTaps) {
        if (!active.isEmpty()) {
            ensureBridge();
        }
        if (!ready) {
            taps.sweep(ownedTaps);
            // no sandbox has a live TAP: rules an earlier daemon left (for sandboxes removed or
            // failed since, e.g. during recovery) must not outlive them
            if (!firewall.presentFamilies().isEmpty()) {
                firewall.remove();
                LOG.log(System.Logger.Level.INFO, "network: removed firewall tables no live sandbox needs");
            }
            return;
        }
        FirewallState next = FirewallState.empty(config);
        for (SandboxNet sandbox : active.values()) {
            next = next.with(sandbox);
        }
        firewall.apply(next);
        state = next;
        List<String> swept = taps.sweep(ownedTaps);
        if (!swept.isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "network: removed TAPs no sandbox owns: " + swept);
        }
    }

    /** Addresses the pool can lease. */
    int capacity() {
        return pool.capacity();
    }

    LeaseRow lease(String uid) {
        return store.lease(uid, pool);
    }

    static String tapOf(String uid) {
        return Taps.nameFor(uid);
    }

    /** Creates the sandbox's TAP (attached, isolated) and admits it to the firewall; up when asked. */
    synchronized void plug(String uid, LeaseRow lease, boolean up, EgressPolicy egress, List<PortForward> forwards) {
        checkAvailable();
        String tap = tapOf(uid);
        if (!taps.exists(tap)) {
            taps.create(tap, config.bridge());
        }
        state = state.without(uid).with(SandboxNet.of(lease, egress, forwards));
        firewall.apply(state);
        if (up) {
            taps.up(tap);
        }
    }

    /** Brings a TAP up: a clone's, once its agent acknowledged its new identity. */
    synchronized void up(String uid) {
        taps.up(tapOf(uid));
    }

    /** Removes the TAP and the sandbox's rules; the lease stays. Idempotent. */
    synchronized void unplug(String uid) {
        if (!ready) {
            return;
        }
        if (state.sandboxes().stream().anyMatch(s -> s.uid().equals(uid))) {
            state = state.without(uid);
            firewall.apply(state);
        }
        taps.delete(tapOf(uid));
    }

    NicPlan nic(String uid, LeaseRow lease) {
        return new NicPlan("eth0", tapOf(uid), lease.mac());
    }

    /** Kernel parameters the guest agent addresses eth0 from at cold boot. */
    String bootArgs(LeaseRow lease) {
        return "arcbox.ip=" + lease.ip() + "/" + pool.prefixLength() + " arcbox.gw=" + config.gateway()
                + (config.dns().isEmpty() ? "" : " arcbox.dns=" + String.join(",", config.dns()));
    }

    /** The identity a restored clone takes before it counts as ready. */
    NetConfig identity(LeaseRow lease, String hostname) {
        return new NetConfig("eth0", lease.mac(), lease.ip() + "/" + pool.prefixLength(), config.gateway(),
                config.dns(), hostname);
    }
}
