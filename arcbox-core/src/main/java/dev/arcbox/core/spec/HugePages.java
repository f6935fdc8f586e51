package dev.arcbox.core.spec;

/** Huge-page backing of guest memory (arcbox-vm 0.1.4 {@code HugePagesSpec}). */
public enum HugePages {
    /** 2 MiB pages; wire name {@code 2M}. */
    TWO_MIB("2M");

    private final String token;

    HugePages(String token) {
        this.token = token;
    }

    public String token() {
        return token;
    }
}
