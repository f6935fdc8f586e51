package dev.arcbox.core.store;

import java.time.Instant;

/**
 * An IPv4 address leased to one sandbox. Both the address and the sandbox are unique among leases.
 *
 * @param ip the address, dotted quad
 * @param sandboxUid the sandbox holding it
 * @param mac the guest NIC's MAC: {@code 02:ab:} followed by the address's four bytes, so it is
 *     locally administered, unicast and unique exactly when the address is
 * @param createdAt when the lease was taken
 */
public record LeaseRow(String ip, String sandboxUid, String mac, Instant createdAt) {

    static String macFor(int address) {
        return String.format("02:ab:%02x:%02x:%02x:%02x",
                (address >>> 24) & 0xff, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff);
    }
}
