package dev.arcbox.core.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * {@code [firecracker]}: the Firecracker binary and process-level options. Mirrors
 * {@code FirecrackerConfig} of arcbox-vm 0.1.4 ({@code src/config.rs}); its {@code data_dir} is
 * accepted as an alias of the top-level {@code data_dir} and folded into {@link DaemonConfig#dataDir}.
 *
 * @param binary the {@code firecracker} binary
 * @param jailer run Firecracker under the jailer; empty runs it directly
 * @param logLevel Firecracker's {@code --level}
 * @param noSeccomp disable seccomp filtering (testing only: reduces isolation)
 * @param seccompFilter a custom seccomp BPF file
 * @param httpApiMaxPayloadSize maximum API payload in bytes
 * @param mmdsSizeLimit MMDS data store limit in bytes
 * @param socketTimeoutSecs seconds to wait for the API socket (Firecracker default: 5)
 */
public record FirecrackerConfig(
        Path binary,
        Optional<JailerConfig> jailer,
        Optional<LogLevel> logLevel,
        boolean noSeccomp,
        Optional<Path> seccompFilter,
        OptionalLong httpApiMaxPayloadSize,
        OptionalLong mmdsSizeLimit,
        OptionalLong socketTimeoutSecs) {

    /** Firecracker's log levels, spelled as its {@code --level} flag takes them. */
    public enum LogLevel {
        ERROR("Error"),
        WARNING("Warning"),
        INFO("Info"),
        DEBUG("Debug"),
        TRACE("Trace");

        private final String token;

        LogLevel(String token) {
            this.token = token;
        }

        /** The value Firecracker's {@code --level} takes. */
        public String token() {
            return token;
        }

        /** The level named {@code value}, case-insensitively. */
        static Optional<LogLevel> parse(String value) {
            for (LogLevel level : values()) {
                if (level.token.toLowerCase(Locale.ROOT).equals(value.toLowerCase(Locale.ROOT))) {
                    return Optional.of(level);
                }
            }
            return Optional.empty();
        }
    }
}
