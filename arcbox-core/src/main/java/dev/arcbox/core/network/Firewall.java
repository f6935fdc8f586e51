package dev.arcbox.core.network;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arcbox.core.ArcboxException;
import java.util.ArrayList;
import java.util.List;

/**
 * The host firewall of arcbox: the nftables tables {@code inet arcbox} and {@code bridge arcbox},
 * and no other. Each {@link #apply} replaces both tables with {@link FirewallState#render()} in one
 * {@code nft -f -} transaction: either the whole new ruleset is in force or (on any error) the
 * previous one still is. Tables of other owners (Docker, firewalld, the distribution) are never
 * read for editing, flushed or deleted.
 *
 * <p>What the ruleset does, for the bridge and pool of the state:
 * <ul>
 *   <li>masquerade of the pool's traffic leaving through any other interface;
 *   <li>per TAP (bridge table): only the sandbox's MAC as Ethernet and ARP sender, only its address
 *       as IPv4 and ARP source, nothing but IPv4 and ARP; a TAP of ours not in the state sends
 *       nothing; TAP-to-TAP bridging is dropped (on top of bridge port isolation);
 *   <li>routed sandbox-to-sandbox traffic (through the gateway) is dropped;
 *   <li>the host accepts from the bridge only ICMP echo and DNS (UDP and TCP 53) to the gateway,
 *       and replies to its own connections;
 *   <li>per sandbox egress as its {@link EgressPolicy} says; nothing from elsewhere enters the pool
 *       except replies and TCP port forwards (DNAT in prerouting and output, so the host itself can
 *       use them).
 * </ul>
 *
 * <p>Idempotent; not synchronized — callers serialize applies (the last one wins).
 */
public final class Firewall {

    /** The name of both of our tables. */
    public static final String TABLE = "arcbox";
    /** The families of our tables. */
    public static final List<String> FAMILIES = List.of("inet", "bridge");

    private final NetCommands commands;

    public Firewall(NetCommands commands) {
        this.commands = commands;
    }

    /** Replaces our tables with {@code state}'s ruleset, atomically. */
    public void apply(FirewallState state) {
        NetCommands.Result result = commands.attempt(List.of("nft", "-f", "-"), state.render());
        if (!result.ok()) {
            throw new ArcboxException.HostFailure("applying firewall tables inet/bridge " + TABLE + " for "
                    + state.sandboxes().size() + " sandboxes on bridge " + state.network().bridge() + ": nft: "
                    + result.errorText(), null);
        }
    }

    /** Deletes our tables (both, in one transaction); nothing happens when they are absent. */
    public void remove() {
        StringBuilder script = new StringBuilder();
        for (String family : FAMILIES) {
            script.append("table ").append(family).append(' ').append(TABLE).append('\n');
            script.append("delete table ").append(family).append(' ').append(TABLE).append('\n');
        }
        NetCommands.Result result = commands.attempt(List.of("nft", "-f", "-"), script.toString());
        if (!result.ok()) {
            throw new ArcboxException.HostFailure("removing firewall tables inet/bridge " + TABLE + ": nft: "
                    + result.errorText(), null);
        }
    }

    /** The families ({@code inet}, {@code bridge}) in which a table of ours exists now. */
    public List<String> presentFamilies() {
        NetCommands.Result result = commands.run("nft", "-j", "list", "tables");
        List<String> present = new ArrayList<>();
        for (JsonNode item : CommandJson.read(result).path("nftables")) {
            JsonNode table = item.path("table");
            if (TABLE.equals(table.path("name").asText()) && FAMILIES.contains(table.path("family").asText())) {
                present.add(table.path("family").asText());
            }
        }
        return List.copyOf(present);
    }
}
