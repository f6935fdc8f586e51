package dev.arcbox.core.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code [grpc]}: where the API listens. Mirrors {@code GrpcConfig} of arcbox-vm 0.1.4
 * ({@code src/config.rs}), plus socket ownership and TLS. TCP is only ever served with TLS and a
 * bearer token: a loaded config with {@code tcpAddr} present has all three of {@code tlsCert},
 * {@code tlsKey} and {@code tokenFile}.
 *
 * @param unixSocket the unix socket (primary transport), at most 107 bytes
 * @param tcpAddr {@code host:port} of an additional TCP listener; empty (or {@code ""} in the
 *     file) disables it
 * @param socketGroup group that owns the unix socket; empty keeps the daemon's group
 * @param tlsCert PEM certificate chain for the TCP listener
 * @param tlsKey PEM private key for the TCP listener
 * @param tokenFile file holding the bearer token TCP clients must present
 */
public record GrpcConfig(
        Path unixSocket,
        Optional<String> tcpAddr,
        Optional<String> socketGroup,
        Optional<Path> tlsCert,
        Optional<Path> tlsKey,
        Optional<Path> tokenFile) {}
