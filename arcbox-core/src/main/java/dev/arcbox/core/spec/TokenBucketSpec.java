package dev.arcbox.core.spec;

import java.util.OptionalLong;

/**
 * A token bucket (arcbox-vm 0.1.4 {@code TokenBucketSpec}, Firecracker {@code TokenBucket}).
 *
 * @param size capacity in bytes (bandwidth) or operations (ops), &gt; 0
 * @param refillTimeMs milliseconds to refill the whole bucket, &gt; 0
 * @param oneTimeBurst extra tokens available once at start, &ge; 0
 */
public record TokenBucketSpec(long size, long refillTimeMs, OptionalLong oneTimeBurst) {

    public TokenBucketSpec {
        oneTimeBurst = oneTimeBurst == null ? OptionalLong.empty() : oneTimeBurst;
    }

    public static TokenBucketSpec of(long size, long refillTimeMs) {
        return new TokenBucketSpec(size, refillTimeMs, OptionalLong.empty());
    }
}
