package dev.arcbox.core.spec;

import java.util.Locale;

/** Block device IO engine (arcbox-vm 0.1.4 {@code IoEngine}); wire names {@code sync}, {@code async}. */
public enum IoEngine {
    SYNC,
    ASYNC;

    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }
}
