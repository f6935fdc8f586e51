package dev.arcbox.core.driver;

import dev.arcbox.core.spec.CacheType;
import dev.arcbox.core.spec.IoEngine;
import dev.arcbox.core.spec.RateLimitSpec;
import java.util.Objects;
import java.util.Optional;

/**
 * How a block device is attached beyond its path and mode: the seed's per-drive options
 * (arcbox-vm 0.1.4 {@code root_io_engine}, {@code root_cache_type}, {@code root_partuuid},
 * {@code root_rate_limit} and the same fields of {@code DriveSpec}). Drivers that cannot honour a
 * non-default value reject the plan through their capabilities.
 *
 * @param ioEngine IO engine
 * @param cacheType cache mode
 * @param partuuid partition UUID passed to the guest kernel
 * @param rateLimit bandwidth and operations limits
 */
public record DriveOptions(IoEngine ioEngine, CacheType cacheType, Optional<String> partuuid,
        Optional<RateLimitSpec> rateLimit) {

    /** Sync IO, unsafe cache, no partuuid, no limit: the seed's defaults. */
    public static final DriveOptions DEFAULT =
            new DriveOptions(IoEngine.SYNC, CacheType.UNSAFE, Optional.empty(), Optional.empty());

    public DriveOptions {
        ioEngine = Objects.requireNonNullElse(ioEngine, IoEngine.SYNC);
        cacheType = Objects.requireNonNullElse(cacheType, CacheType.UNSAFE);
        partuuid = partuuid == null ? Optional.empty() : partuuid;
        rateLimit = rateLimit == null ? Optional.empty() : rateLimit;
    }
}
