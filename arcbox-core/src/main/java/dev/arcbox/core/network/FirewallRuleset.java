package dev.arcbox.core.network;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Renders a {@link FirewallState} as an nftables script. Two tables, both named {@value Firewall#TABLE}
 * and both ours: {@code inet} (NAT, the host's input, routed forwarding, egress policy) and
 * {@code bridge} (per-port anti-spoofing and isolation — at layer 3 every frame from a bridge port
 * shows the bridge as its interface, and ARP never reaches an {@code inet} table, so the TAP itself
 * is only visible here). The script first creates-then-deletes each table, so applying it replaces
 * whatever an earlier state left, in the same transaction.
 */
final class FirewallRuleset {

    private static final String COMMENT = "owned by arcboxd: replaced whole on every change, do not edit";

    private FirewallRuleset() {}

    static String render(FirewallState state) {
        String bridge = quoted(state.network().bridge());
        String pool = Ipv4Cidr.parse(state.network().cidr()).orElseThrow().networkText();
        String gateway = state.network().gateway();
        List<SandboxNet> sandboxes = state.sortedSandboxes();
        StringBuilder out = new StringBuilder();
        out.append("# arcbox host firewall for bridge ").append(state.network().bridge()).append(", pool ").append(pool)
                .append(", ").append(sandboxes.size()).append(sandboxes.size() == 1 ? " sandbox\n" : " sandboxes\n");
        for (String family : List.of("inet", "bridge")) {
            out.append("table ").append(family).append(' ').append(Firewall.TABLE).append('\n');
            out.append("delete table ").append(family).append(' ').append(Firewall.TABLE).append('\n');
        }
        out.append('\n');
        inetTable(out, bridge, pool, gateway, sandboxes);
        out.append('\n');
        bridgeTable(out, sandboxes);
        return out.toString();
    }

    private static void inetTable(StringBuilder out, String bridge, String pool, String gateway,
            List<SandboxNet> sandboxes) {
        out.append("table inet ").append(Firewall.TABLE).append(" {\n");
        out.append("\tcomment \"").append(COMMENT).append("\"\n");

        Set<String> dnat = new LinkedHashSet<>();
        Set<String> inbound = new LinkedHashSet<>();
        for (SandboxNet s : sandboxes) {
            for (PortForward f : s.portForwards()) {
                dnat.add("ip daddr " + f.hostAddress() + " tcp dport " + f.hostPort() + " dnat ip to " + s.ip() + ":"
                        + f.guestPort());
                inbound.add("oifname " + bridge + " ip daddr " + s.ip() + " tcp dport " + f.guestPort()
                        + " ct status dnat accept");
            }
        }
        chain(out, "prerouting", "type nat hook prerouting priority dstnat; policy accept;", List.copyOf(dnat));
        // the host's own connections to a forwarded address:port
        chain(out, "output", "type nat hook output priority -100; policy accept;", List.copyOf(dnat));
        chain(out, "postrouting", "type nat hook postrouting priority srcnat; policy accept;",
                List.of("oifname != " + bridge + " ip saddr " + pool + " masquerade"));
        chain(out, "input", "type filter hook input priority filter; policy accept;", List.of(
                "iifname " + bridge + " ct direction reply accept",
                "iifname " + bridge + " ip daddr " + gateway + " icmp type echo-request accept",
                "iifname " + bridge + " ip daddr " + gateway + " udp dport 53 accept",
                "iifname " + bridge + " ip daddr " + gateway + " tcp dport 53 accept",
                "iifname " + bridge + " counter drop"));
        chain(out, "forward", "type filter hook forward priority filter; policy accept;",
                forwardRules(bridge, inbound, sandboxes));
        for (SandboxNet s : sandboxes) {
            chain(out, "egress_" + s.uid(), null, egressRules(s.egress()));
        }
        trimBlankLine(out);
        out.append("}\n");
    }

    /**
     * Routed traffic touching the bridge: nothing between sandboxes; into the pool only replies and
     * port forwards; out of it replies to port forwards, then each sandbox's egress chain by source
     * address (which the bridge table has already bound to the sandbox's TAP).
     */
    private static List<String> forwardRules(String bridge, Set<String> inbound, List<SandboxNet> sandboxes) {
        List<String> rules = new ArrayList<>();
        rules.add("iifname " + bridge + " oifname " + bridge + " counter drop");
        rules.add("oifname " + bridge + " ct direction reply accept");
        rules.addAll(inbound);
        rules.add("oifname " + bridge + " counter drop");
        rules.add("iifname " + bridge + " ct direction reply accept");
        for (SandboxNet s : sandboxes) {
            rules.add("iifname " + bridge + " ip saddr " + s.ip() + " jump egress_" + s.uid());
        }
        rules.add("iifname " + bridge + " counter drop");
        return rules;
    }

    /** Deny first, so a denied destination stays denied when it is also allowed. */
    private static List<String> egressRules(EgressPolicy egress) {
        List<String> rules = new ArrayList<>();
        for (String cidr : egress.denyCidrs()) {
            rules.add("ip daddr " + cidr + " counter drop");
        }
        for (String cidr : egress.allowCidrs()) {
            rules.add("ip daddr " + cidr + " accept");
        }
        rules.add(egress.allowInternet() ? "accept" : "counter drop");
        return rules;
    }

    private static void bridgeTable(StringBuilder out, List<SandboxNet> sandboxes) {
        String ours = quoted(Taps.PREFIX + "*");
        out.append("table bridge ").append(Firewall.TABLE).append(" {\n");
        out.append("\tcomment \"").append(COMMENT).append("\"\n");
        List<String> prerouting = new ArrayList<>();
        for (SandboxNet s : sandboxes) {
            prerouting.add("iifname " + quoted(s.tap()) + " jump port_" + s.uid());
        }
        // a TAP of ours without a sandbox in this state (not yet, or no longer) sends nothing
        prerouting.add("iifname " + ours + " counter drop");
        chain(out, "prerouting", "type filter hook prerouting priority filter; policy accept;", prerouting);
        chain(out, "forward", "type filter hook forward priority filter; policy accept;",
                List.of("iifname " + ours + " oifname " + ours + " counter drop"));
        for (SandboxNet s : sandboxes) {
            chain(out, "port_" + s.uid(), null, List.of(
                    "ether saddr != " + s.mac() + " counter drop",
                    "ether type != { ip, arp } counter drop",
                    "ip saddr != " + s.ip() + " counter drop",
                    "arp saddr ether != " + s.mac() + " counter drop",
                    "arp saddr ip != " + s.ip() + " counter drop",
                    "accept"));
        }
        trimBlankLine(out);
        out.append("}\n");
    }

    private static void chain(StringBuilder out, String name, String hook, List<String> rules) {
        out.append("\tchain ").append(name).append(" {\n");
        if (hook != null) {
            out.append("\t\t").append(hook).append('\n');
        }
        for (String rule : rules) {
            out.append("\t\t").append(rule).append('\n');
        }
        out.append("\t}\n\n");
    }

    private static void trimBlankLine(StringBuilder out) {
        if (out.length() >= 2 && out.charAt(out.length() - 1) == '\n' && out.charAt(out.length() - 2) == '\n') {
            out.setLength(out.length() - 1);
        }
    }

    private static String quoted(String name) {
        return "\"" + name + "\"";
    }
}
