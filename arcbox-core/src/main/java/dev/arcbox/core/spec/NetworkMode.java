package dev.arcbox.core.spec;

import java.util.Locale;

/** How a sandbox is networked; wire names {@code tap}, {@code none}. */
public enum NetworkMode {
    /** One interface on a host TAP device attached to the daemon's bridge. */
    TAP,
    /** No network interface at all. */
    NONE;

    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }
}
