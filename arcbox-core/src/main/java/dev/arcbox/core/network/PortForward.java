package dev.arcbox.core.network;

/**
 * A TCP port of a host address forwarded to a port of a sandbox: connections to
 * {@code hostAddress:hostPort} — from outside and from the host itself — reach the sandbox's
 * {@code guestPort}. Plain data: {@link NetPolicyValidator} checks it.
 *
 * @param hostAddress an IPv4 address of the host, dotted quad (not 0.0.0.0, not loopback)
 * @param hostPort 1-65535, unique per host address across all sandboxes
 * @param guestPort 1-65535
 */
public record PortForward(String hostAddress, int hostPort, int guestPort) {}
