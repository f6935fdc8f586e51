package dev.arcbox.core.config;

import java.util.Optional;

/**
 * {@code [metrics]}: the Prometheus endpoint.
 *
 * @param address {@code host:port} the daemon serves {@code /metrics} on (plain HTTP, so keep it
 *     on loopback or a management network); empty (or {@code ""} in the file) turns metrics off
 */
public record MetricsConfig(Optional<String> address) {}
