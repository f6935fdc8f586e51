package dev.arcbox.core.spec;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * An extra (non-root) block device (arcbox-vm 0.1.4 {@code DriveSpec}).
 *
 * @param driveId identifier unique within the sandbox, [A-Za-z0-9_-]{1,32}, not {@code root} or
 *     {@code rw}
 * @param path image file; must lie inside one of the daemon's image directories
 * @param readonly attach read-only
 * @param ioEngine IO engine
 * @param cacheType cache mode
 * @param partuuid partition UUID passed to the guest
 * @param rateLimit throughput and IOPS limits
 */
public record DriveSpec(
        String driveId,
        Path path,
        boolean readonly,
        IoEngine ioEngine,
        CacheType cacheType,
        Optional<String> partuuid,
        Optional<RateLimitSpec> rateLimit) {

    public DriveSpec {
        ioEngine = Objects.requireNonNullElse(ioEngine, IoEngine.SYNC);
        cacheType = Objects.requireNonNullElse(cacheType, CacheType.UNSAFE);
        partuuid = partuuid == null ? Optional.empty() : partuuid;
        rateLimit = rateLimit == null ? Optional.empty() : rateLimit;
    }

    /** A drive with the seed's defaults: sync IO, unsafe cache, no partuuid, no rate limit. */
    public static DriveSpec of(String driveId, Path path, boolean readonly) {
        return new DriveSpec(driveId, path, readonly, IoEngine.SYNC, CacheType.UNSAFE, Optional.empty(), Optional.empty());
    }
}
