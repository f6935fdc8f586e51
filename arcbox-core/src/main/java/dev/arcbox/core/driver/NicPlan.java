package dev.arcbox.core.driver;

/**
 * A network interface backed by a host TAP device that the caller created and owns.
 *
 * @param id identifier unique within the VM
 * @param tapName the host TAP device (at most 15 bytes)
 * @param mac the guest MAC address, {@code aa:bb:cc:dd:ee:ff}
 */
public record NicPlan(String id, String tapName, String mac) {}
