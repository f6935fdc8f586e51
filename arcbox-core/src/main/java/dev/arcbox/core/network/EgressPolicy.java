package dev.arcbox.core.network;

import java.util.List;

/**
 * Where a sandbox may open connections to, beyond what is fixed for every sandbox (other sandboxes
 * are always denied; of the host only ICMP echo and DNS to the gateway are reachable). A destination
 * in {@code denyCidrs} is refused even when it is also allowed; with {@code allowInternet} false only
 * destinations in {@code allowCidrs} are reachable. Replies to connections made <em>to</em> the
 * sandbox (port forwards) always pass. Plain data: {@link NetPolicyValidator} checks it.
 *
 * @param allowInternet whether destinations not listed are reachable (through masquerade)
 * @param allowCidrs IPv4 networks reachable even when {@code allowInternet} is false, {@code a.b.c.d/n}
 * @param denyCidrs IPv4 networks never reachable, {@code a.b.c.d/n}
 */
public record EgressPolicy(boolean allowInternet, List<String> allowCidrs, List<String> denyCidrs) {

    /** The default: the internet is reachable, nothing else is listed. */
    public static final EgressPolicy OPEN = new EgressPolicy(true, List.of(), List.of());

    /** Nothing beyond the gateway's DNS and ICMP echo is reachable. */
    public static final EgressPolicy CLOSED = new EgressPolicy(false, List.of(), List.of());

    public EgressPolicy {
        allowCidrs = allowCidrs == null ? List.of() : List.copyOf(allowCidrs);
        denyCidrs = denyCidrs == null ? List.of() : List.copyOf(denyCidrs);
    }
}
