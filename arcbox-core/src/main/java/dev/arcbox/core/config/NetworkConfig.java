package dev.arcbox.core.config;

import java.util.List;

/**
 * {@code [network]}: the bridge sandboxes are attached to and the IPv4 pool they are given
 * addresses from. Mirrors {@code NetworkConfig} of arcbox-vm 0.1.4 ({@code src/config.rs}). A
 * loaded config holds only valid values: the bridge is a valid interface name, {@code cidr} a
 * network address with prefix 8-30, {@code gateway} a host address inside it, {@code dns} IPv4
 * addresses.
 *
 * @param bridge Linux bridge name (at most 15 characters)
 * @param cidr the guest address pool, {@code a.b.c.d/prefix}
 * @param gateway default gateway advertised to guests
 * @param dns DNS servers advertised to guests
 */
public record NetworkConfig(String bridge, String cidr, String gateway, List<String> dns) {

    public NetworkConfig {
        dns = List.copyOf(dns);
    }
}
