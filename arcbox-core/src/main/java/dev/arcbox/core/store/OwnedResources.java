package dev.arcbox.core.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host resources a sandbox owns, written to its row <em>before</em> each one is created, so a
 * crash at any point leaves a record that startup can reconcile, and removal reads what creation
 * wrote. Stored as {@code resources_json}; adding a field needs a schema migration so that an older
 * arcboxd refuses the database instead of dropping the field on its next write.
 *
 * @param tap the TAP device's name, or null
 * @param ip the leased address (the lease itself is a row in {@code leases}), or null
 * @param rules identifiers of the nftables rules and set elements made for the sandbox
 * @param dirs directories created for the sandbox (run dir, disk dir, ...)
 */
public record OwnedResources(String tap, String ip, List<String> rules, List<Path> dirs) {

    /** A sandbox that owns nothing yet. */
    public static final OwnedResources NONE = new OwnedResources(null, null, List.of(), List.of());

    public OwnedResources {
        rules = List.copyOf(rules);
        dirs = List.copyOf(dirs);
    }

    public OwnedResources withTap(String newTap) {
        return new OwnedResources(newTap, ip, rules, dirs);
    }

    public OwnedResources withIp(String newIp) {
        return new OwnedResources(tap, newIp, rules, dirs);
    }

    /** Adds {@code rule} unless it is listed already. */
    public OwnedResources withRule(String rule) {
        if (rules.contains(rule)) {
            return this;
        }
        List<String> more = new ArrayList<>(rules);
        more.add(rule);
        return new OwnedResources(tap, ip, more, dirs);
    }

    /** Adds {@code dir} unless it is listed already. */
    public OwnedResources withDir(Path dir) {
        if (dirs.contains(dir)) {
            return this;
        }
        List<Path> more = new ArrayList<>(dirs);
        more.add(dir);
        return new OwnedResources(tap, ip, rules, more);
    }

    public boolean isEmpty() {
        return tap == null && ip == null && rules.isEmpty() && dirs.isEmpty();
    }
}
