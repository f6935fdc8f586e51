package dev.arcbox.core.spec;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/** The rules on a spec's own values: identity, metadata, machine shape, devices and limits. */
final class SpecRules {

    static final int MAX_ID = 64;
    static final int MAX_LABELS = 64;
    static final int MAX_LABEL_KEY = 63;
    static final int MAX_LABEL_VALUE = 256;
    static final int MAX_ENV_BYTES = 64 * 1024;
    static final int MAX_BOOT_ARGS = 2048;
    static final int MAX_SSH_KEY = 16 * 1024;
    static final long MIB = 1024 * 1024;
    static final long MIN_DISK = 16 * MIB;
    static final long MAX_DISK = 1024L * 1024 * MIB;
    static final long MAX_GUEST_CID = 0xFFFF_FFFEL;

    private static final Pattern LABEL_KEY = Pattern.compile("[A-Za-z0-9._/-]{1," + MAX_LABEL_KEY + "}");
    private static final Pattern SHELL_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern PARTUUID = Pattern.compile(
            "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{2}");
    private static final Pattern IFACE = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    private static final Pattern SSH_KEY =
            Pattern.compile("(ssh-|ecdsa-|sk-)[A-Za-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}( [^\\x00-\\x1f\\x7f]*)?");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}");

    private final Violations v;

    SpecRules(Violations violations) {
        this.v = violations;
    }

    void id(String id) {
        if (id == null || id.isEmpty()) {
            v.add("id", "required");
            return;
        }
        int length = id.codePointCount(0, id.length());
        if (length > MAX_ID) {
            v.add("id", "at most " + MAX_ID + " characters, got " + length);
        }
        if (id.indexOf('/') >= 0) {
            v.add("id", "must not contain '/', got " + Violations.quote(id));
        }
        if (id.indexOf('\0') >= 0) {
            v.add("id", "must not contain a nul character");
        }
        if (id.isBlank()) {
            v.add("id", "must not be only whitespace");
        }
        if (id.equals(".") || id.equals("..")) {
            v.add("id", "must not be '.' or '..'");
        }
    }

    void labels(Map<String, String> labels) {
        if (labels.size() > MAX_LABELS) {
            v.add("labels", "at most " + MAX_LABELS + " entries, got " + labels.size());
        }
        labels.forEach((key, value) -> {
            String field = "labels[" + Violations.quote(key) + "]";
            if (!LABEL_KEY.matcher(key).matches()) {
                v.add(field, "key must be 1-" + MAX_LABEL_KEY + " characters [A-Za-z0-9._/-]");
            }
            if (value == null) {
                v.add(field, "value missing");
            } else if (value.codePointCount(0, value.length()) > MAX_LABEL_VALUE) {
                v.add(field, "value at most " + MAX_LABEL_VALUE + " characters, got " + value.codePointCount(0, value.length()));
            }
        });
    }

    void env(Map<String, String> env) {
        long total = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            String field = "env[" + Violations.quote(e.getKey()) + "]";
            if (!SHELL_NAME.matcher(e.getKey()).matches()) {
                v.add(field, "not a valid shell variable name ([A-Za-z_][A-Za-z0-9_]*)");
            }
            if (e.getValue() == null) {
                v.add(field, "value missing");
                continue;
            }
            if (e.getValue().indexOf('\0') >= 0) {
                v.add(field, "value must not contain a nul character");
            }
            total += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length + 2;
        }
        if (total > MAX_ENV_BYTES) {
            v.add("env", "at most " + MAX_ENV_BYTES + " bytes in all (as NAME=value\\0), got " + total);
        }
    }

    /** The VMM's cgroup limits (ResourceLimits 20-23), each checked when given. */
    void hostLimits(SandboxSpec spec) {
        HostLimits h = spec.hostLimits();
        h.cpuWeight().ifPresent(w -> {
            if (w < 1 || w > 10_000) {
                v.add("limits.cpu_weight", "must be 1-10000, got " + w);
            }
        });
        h.cpuMaxPercent().ifPresent(p -> {
            if (p < 1 || p > 100 * 1024) {
                v.add("limits.cpu_max_percent", "must be 1-102400 (100 = one host cpu), got " + p);
            }
        });
        h.ioWeight().ifPresent(w -> {
            if (w < 1 || w > 10_000) {
                v.add("limits.io_weight", "must be 1-10000, got " + w);
            }
        });
        h.memoryMaxMib().ifPresent(m -> {
            if (m < spec.memoryMib() || m > 1L << 30) {
                v.add("limits.memory_max_mib", "must be at least memory_mib (" + spec.memoryMib()
                        + ") and at most 1073741824, got " + m);
            }
        });
    }

    void machine(SandboxSpec spec) {
        if (spec.vcpus() < 1 || spec.vcpus() > 32) {
            v.add("vcpus", "must be 1-32, got " + spec.vcpus());
        } else if (spec.smt() && spec.vcpus() > 1 && spec.vcpus() % 2 != 0) {
            v.add("vcpus", "must be 1 or even when smt is enabled, got " + spec.vcpus());
        }
        if (spec.memoryMib() < 64 || spec.memoryMib() > 262_144) {
            v.add("memory_mib", "must be 64-262144, got " + spec.memoryMib());
        } else if (spec.hugePages().isPresent() && spec.memoryMib() % 2 != 0) {
            v.add("memory_mib", "must be a multiple of 2 with huge_pages 2M, got " + spec.memoryMib());
        }
        String args = spec.bootArgs();
        if (args.length() > MAX_BOOT_ARGS) {
            v.add("boot_args", "at most " + MAX_BOOT_ARGS + " characters, got " + args.length());
        }
        if (args.chars().anyMatch(c -> c == '\n' || c == '\r' || c == 0)) {
            v.add("boot_args", "must be one line without nul characters");
        }
        hostLimits(spec);
        spec.rootPartuuid().ifPresent(p -> partuuid("root_partuuid", p));
        spec.diskSize().ifPresent(size -> {
            if (size < MIN_DISK || size > MAX_DISK) {
                v.add("disk_size", "must be " + MIN_DISK + "-" + MAX_DISK + " bytes (16 MiB-1 TiB), got " + size);
            }
        });
        spec.sshPublicKey().ifPresent(key -> {
            if (key.length() > MAX_SSH_KEY || !SSH_KEY.matcher(key).matches()) {
                v.add("ssh_public_key", "must be one openssh public key line ('<type> <base64> [comment]'), at most "
                        + MAX_SSH_KEY + " characters");
            }
        });
        spec.ttl().ifPresent(ttl -> atLeastOneSecond("ttl", ttl));
        spec.idleTimeout().ifPresent(idle -> atLeastOneSecond("idle_timeout", idle));
    }

    void devices(SandboxSpec spec) {
        spec.rootRateLimit().ifPresent(r -> rateLimit("root_rate_limit", r));
        boolean tap = spec.network() == NetworkMode.TAP;
        spec.netRxRateLimit().ifPresent(r -> {
            rateLimit("net_rx_rate_limit", r);
            needsTap("net_rx_rate_limit", tap);
        });
        spec.netTxRateLimit().ifPresent(r -> {
            rateLimit("net_tx_rate_limit", r);
            needsTap("net_tx_rate_limit", tap);
        });
        spec.balloon().ifPresent(b -> {
            if (b.amountMib() < 0 || b.amountMib() > spec.memoryMib()) {
                v.add("balloon.amount_mib", "must be 0-" + spec.memoryMib() + " (memory_mib), got " + b.amountMib());
            }
            b.statsPollingIntervalS().ifPresent(s -> {
                if (s < 0 || s > 86_400) {
                    v.add("balloon.stats_polling_interval_s", "must be 0-86400, got " + s);
                }
            });
        });
        spec.vsock().ifPresent(vsock -> {
            if (vsock.guestCid() < 3 || vsock.guestCid() > MAX_GUEST_CID) {
                v.add("vsock.guest_cid", "must be 3-" + MAX_GUEST_CID + ", got " + vsock.guestCid());
            }
        });
        spec.memoryHotplug().ifPresent(this::memoryHotplug);
        spec.mmds().ifPresent(m -> mmds(m, tap));
    }

    void partuuid(String field, String value) {
        if (!PARTUUID.matcher(value).matches()) {
            v.add(field, "must be a partition uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx or xxxxxxxx-xx), got "
                    + Violations.quote(value));
        }
    }

    void rateLimit(String field, RateLimitSpec limit) {
        if (limit.bandwidth().isEmpty() && limit.ops().isEmpty()) {
            v.add(field, "must set bandwidth or ops");
        }
        limit.bandwidth().ifPresent(b -> bucket(field + ".bandwidth", b));
        limit.ops().ifPresent(b -> bucket(field + ".ops", b));
    }

    private void bucket(String field, TokenBucketSpec bucket) {
        if (bucket.size() <= 0) {
            v.add(field + ".size", "must be > 0, got " + bucket.size());
        }
        if (bucket.refillTimeMs() <= 0) {
            v.add(field + ".refill_time_ms", "must be > 0, got " + bucket.refillTimeMs());
        }
        bucket.oneTimeBurst().ifPresent(burst -> {
            if (burst < 0) {
                v.add(field + ".one_time_burst", "must be >= 0, got " + burst);
            }
        });
    }

    private void memoryHotplug(MemoryHotplugSpec h) {
        long block = h.blockSizeMib().orElse(MemoryHotplugSpec.DEFAULT_BLOCK_SIZE_MIB);
        long slot = h.slotSizeMib().orElse(MemoryHotplugSpec.DEFAULT_SLOT_SIZE_MIB);
        boolean blockOk = block >= 2 && Long.bitCount(block) == 1;
        if (!blockOk) {
            v.add("memory_hotplug.block_size_mib", "must be a power of two >= 2, got " + block);
        }
        boolean slotOk = slot > 0 && (!blockOk || slot % block == 0);
        if (!slotOk) {
            v.add("memory_hotplug.slot_size_mib", "must be a positive multiple of block_size_mib (" + block + "), got " + slot);
        }
        if (h.totalSizeMib() <= 0 || (slotOk && h.totalSizeMib() % slot != 0)) {
            v.add("memory_hotplug.total_size_mib", "must be a positive multiple of slot_size_mib (" + slot + "), got "
                    + h.totalSizeMib());
        }
    }

    private void mmds(MmdsSpec m, boolean tap) {
        needsTap("mmds", tap);
        if (m.networkInterfaces().isEmpty()) {
            v.add("mmds.network_interfaces", "must name at least one interface");
        }
        for (int i = 0; i < m.networkInterfaces().size(); i++) {
            if (!IFACE.matcher(m.networkInterfaces().get(i)).matches()) {
                v.add("mmds.network_interfaces[" + i + "]", "must be 1-32 characters [A-Za-z0-9_-], got "
                        + Violations.quote(m.networkInterfaces().get(i)));
            }
        }
        m.ipv4Address().ifPresent(address -> {
            if (!IPV4.matcher(address).matches() || !address.startsWith("169.254.")) {
                v.add("mmds.ipv4_address", "must be a link-local ipv4 address (169.254.0.0/16), got "
                        + Violations.quote(address));
            }
        });
    }

    private void needsTap(String field, boolean tap) {
        if (!tap) {
            v.add(field, "needs network tap, but network is none");
        }
    }

    private void atLeastOneSecond(String field, Duration d) {
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            v.add(field, "must be at least 1s, got " + d);
        }
    }
}
