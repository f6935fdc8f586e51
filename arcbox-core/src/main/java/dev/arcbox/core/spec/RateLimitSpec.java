package dev.arcbox.core.spec;

import java.util.Optional;

/**
 * Bandwidth and operations limits of a disk or network interface (arcbox-vm 0.1.4
 * {@code RateLimitSpec}, Firecracker {@code RateLimiter}). At least one bucket must be set.
 */
public record RateLimitSpec(Optional<TokenBucketSpec> bandwidth, Optional<TokenBucketSpec> ops) {

    public RateLimitSpec {
        bandwidth = bandwidth == null ? Optional.empty() : bandwidth;
        ops = ops == null ? Optional.empty() : ops;
    }
}
