package dev.arcbox.core.network;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.NetworkConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The bridge sandboxes' TAPs are attached to, carrying the gateway address of the pool, and the
 * IPv4 forwarding it needs. {@link #ensure} measures each piece and creates only what is missing;
 * an existing bridge's other addresses, ports and settings are left alone. Ports are made
 * isolated by {@link Taps#attach}, per TAP.
 */
public final class Bridge {

    private final NetCommands commands;

    public Bridge(NetCommands commands) {
        this.commands = commands;
    }

    /**
     * Makes sure the bridge of {@code config} exists, has the gateway address with the pool's prefix
     * and is up, and that IPv4 forwarding is on; idempotent.
     *
     * @return what {@link #diagnose} finds afterwards
     * @throws ArcboxException.FailedPrecondition when a link of that name is not a bridge, or carries
     *     the gateway address with another prefix
     */
    public Diagnostics ensure(NetworkConfig config) {
        Ipv4Cidr pool = Ipv4Cidr.parse(config.cidr()).filter(Ipv4Cidr::isNetwork).orElseThrow(() ->
                new ArcboxException.InvalidArgument("bridge " + config.bridge() + ": cidr must be a.b.c.d/n, got "
                        + config.cidr()));
        int gateway = Ipv4Cidr.parseAddress(config.gateway()).orElseThrow(() ->
                new ArcboxException.InvalidArgument("bridge " + config.bridge() + ": gateway must be a.b.c.d, got "
                        + config.gateway()));
        String name = config.bridge();
        JsonNode link = Links.find(commands, name).orElse(null);
        if (link == null) {
            // a fixed MAC keeps the gateway's MAC from following the lowest port's (guests cache it);
            // the gateway is never leased, so 02:ab + its bytes is no guest's MAC
            commands.run("ip", "link", "add", "name", name, "address", macOf(gateway), "type", "bridge");
            link = Links.find(commands, name).orElseThrow(() -> new ArcboxException.HostFailure("creating bridge " + name
                    + ": not there after `ip link add`", null));
        } else if (!"bridge".equals(link.path("linkinfo").path("info_kind").asText())) {
            throw new ArcboxException.FailedPrecondition("bridge " + name + ": a link of that name exists and is a "
                    + link.path("linkinfo").path("info_kind").asText("device without a kind") + ", not a bridge");
        }
        ensureAddress(name, config.gateway(), pool.prefix());
        if (!Links.hasFlag(link, "UP")) {
            commands.run("ip", "link", "set", "dev", name, "up");
        }
        if (!"1".equals(commands.run("sysctl", "-n", "net.ipv4.ip_forward").stdout().strip())) {
            commands.run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        }
        return diagnose(config);
    }

    /**
     * What on this host may stop sandbox traffic on the bridge of {@code config} that arcbox cannot
     * fix without touching tables it does not own: a base chain of another table on the forward or
     * input hook with policy drop (Docker leaves {@code ip filter FORWARD} so) — an accept in our own
     * table does not override another table's drop, so sandbox egress (forward) or the gateway's DNS
     * (input) is dropped unless that table's owner lets the bridge through; and br_netfilter, which
     * makes bridged frames traverse those chains too. Read-only.
     */
    public Diagnostics diagnose(NetworkConfig config) {
        List<String> messages = new ArrayList<>();
        String bridge = config.bridge();
        boolean brNetfilter = "1".equals(commands.attempt("sysctl", "-n", "net.bridge.bridge-nf-call-iptables")
                .stdout().strip());
        for (ForeignChain chain : foreignDropChains()) {
            String what = "table " + chain.family() + " " + chain.table() + " has chain " + chain.name()
                    + " on the " + chain.hook() + " hook with policy drop";
            String effect = chain.hook().equals("forward")
                    ? "sandbox traffic routed from bridge " + bridge + " (internet egress, port forwards) is dropped"
                    : "sandbox traffic to the host on bridge " + bridge + " (DNS and ping to the gateway) is dropped";
            String fix = chain.hook().equals("forward")
                    ? "e.g. with Docker: iptables -I DOCKER-USER -i " + bridge + " -j ACCEPT; iptables -I DOCKER-USER -o "
                            + bridge + " -j ACCEPT"
                    : "e.g. accept input from " + bridge + " to udp/tcp 53 and icmp echo in that chain";
            messages.add(what + (brNetfilter ? " and br_netfilter is loaded (net.bridge.bridge-nf-call-iptables=1)" : "")
                    + ": " + effect + " unless that chain accepts it — arcbox accepts it in its own table "
                    + Firewall.TABLE + " but cannot override another table's drop and does not edit tables it does not own; "
                    + fix);
        }
        legacyForwardDrop(bridge).ifPresent(messages::add);
        return new Diagnostics(messages);
    }

    private record ForeignChain(String family, String table, String name, String hook) {}

    private List<ForeignChain> foreignDropChains() {
        NetCommands.Result result = commands.attempt("nft", "-j", "list", "chains");
        if (!result.ok()) {
            return List.of();
        }
        List<ForeignChain> found = new ArrayList<>();
        for (JsonNode item : CommandJson.read(result).path("nftables")) {
            JsonNode chain = item.path("chain");
            String family = chain.path("family").asText();
            String table = chain.path("table").asText();
            String hook = chain.path("hook").asText();
            boolean ours = Firewall.TABLE.equals(table) && Firewall.FAMILIES.contains(family);
            if (!ours && (family.equals("ip") || family.equals("inet")) && (hook.equals("forward") || hook.equals("input"))
                    && "drop".equals(chain.path("policy").asText())) {
                found.add(new ForeignChain(family, table, chain.path("name").asText(), hook));
            }
        }
        return found;
    }

    /** A FORWARD policy of drop in legacy iptables (invisible to nft), when that tool is installed. */
    private Optional<String> legacyForwardDrop(String bridge) {
        if (NetCommands.locate("iptables-legacy").isEmpty()) {
            return Optional.empty();
        }
        NetCommands.Result result = commands.attempt("iptables-legacy", "-S", "FORWARD");
        if (result.ok() && result.stdout().lines().anyMatch(line -> line.strip().equals("-P FORWARD DROP"))) {
            return Optional.of("legacy iptables has FORWARD policy DROP: sandbox traffic routed from bridge " + bridge
                    + " is dropped unless a rule there accepts it, e.g. iptables-legacy -I FORWARD -i " + bridge
                    + " -j ACCEPT; iptables-legacy -I FORWARD -o " + bridge + " -j ACCEPT");
        }
        return Optional.empty();
    }

    private void ensureAddress(String name, String gateway, int prefix) {
        JsonNode links = CommandJson.read(commands.run("ip", "-json", "-4", "addr", "show", "dev", name));
        for (JsonNode link : links) {
            for (JsonNode addr : link.path("addr_info")) {
                if (gateway.equals(addr.path("local").asText())) {
                    int has = addr.path("prefixlen").asInt(-1);
                    if (has != prefix) {
                        throw new ArcboxException.FailedPrecondition("bridge " + name + ": has " + gateway + "/" + has
                                + " but the pool needs " + gateway + "/" + prefix);
                    }
                    return;
                }
            }
        }
        commands.run("ip", "addr", "add", gateway + "/" + prefix, "dev", name);
    }



    private static String macOf(int address) {
        return String.format("02:ab:%02x:%02x:%02x:%02x",
                (address >>> 24) & 0xff, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff);
    }
}
