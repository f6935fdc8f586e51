package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Network settings for the guest (NET_CONFIG, docs/agent-protocol.md §3). Every field but {@code dns} may
 * be null, meaning "leave as is" (the agent's default interface is eth0).
 *
 * @param address IPv4 address with prefix, {@code a.b.c.d/nn}
 */
public record NetConfig(String iface, String mac, String address, String gateway, List<String> dns, String hostname) {

    private static final Pattern IFACE = Pattern.compile("[A-Za-z0-9._-]{1,15}");
    private static final Pattern MAC = Pattern.compile("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}");
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern CIDR = Pattern.compile(IPV4.pattern() + "/(3[0-2]|[12]?\\d)");
    private static final Pattern HOSTNAME = Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final int MAX_DNS = 8;

    public NetConfig {
        dns = dns == null ? List.of() : List.copyOf(dns);
        List<String> problems = new ArrayList<>();
        check(problems, "iface", iface, IFACE);
        check(problems, "mac", mac, MAC);
        check(problems, "address", address, CIDR);
        check(problems, "gateway", gateway, IPV4);
        check(problems, "hostname", hostname, HOSTNAME);
        if (dns.size() > MAX_DNS) {
            problems.add("dns: at most " + MAX_DNS + " servers, got " + dns.size());
        }
        for (int i = 0; i < dns.size(); i++) {
            check(problems, "dns[" + i + "]", dns.get(i), IPV4);
        }
        if (!problems.isEmpty()) {
            throw new ArcboxException.InvalidArgument("invalid net config: " + String.join("; ", problems));
        }
    }

    private static void check(List<String> problems, String field, String value, Pattern pattern) {
        if (value != null && !pattern.matcher(value).matches()) {
            String shown = value.length() > 64 ? value.substring(0, 64) + "…" : value;
            problems.add(field + ": not a valid value, got \"" + shown + "\"");
        }
    }
}
