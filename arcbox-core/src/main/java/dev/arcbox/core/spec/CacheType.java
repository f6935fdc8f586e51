package dev.arcbox.core.spec;

import java.util.Locale;

/**
 * Block device cache mode (arcbox-vm 0.1.4 {@code CacheType}); wire names {@code unsafe} (flushes
 * ignored) and {@code writeback} (flushes honoured).
 */
public enum CacheType {
    UNSAFE,
    WRITEBACK;

    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }
}
