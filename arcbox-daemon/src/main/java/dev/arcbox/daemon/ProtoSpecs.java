package dev.arcbox.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.RateLimit;
import dev.arcbox.api.v1.TokenBucket;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.network.EgressPolicy;
import dev.arcbox.core.network.PortForward;
import dev.arcbox.core.spec.BalloonSpec;
import dev.arcbox.core.spec.CacheType;
import dev.arcbox.core.spec.CpuTemplate;
import dev.arcbox.core.spec.DriveSpec;
import dev.arcbox.core.spec.HostLimits;
import dev.arcbox.core.spec.HugePages;
import dev.arcbox.core.spec.IdleAction;
import dev.arcbox.core.spec.IoEngine;
import dev.arcbox.core.spec.MemoryHotplugSpec;
import dev.arcbox.core.spec.MmdsSpec;
import dev.arcbox.core.spec.MmdsVersion;
import dev.arcbox.core.spec.NetworkMode;
import dev.arcbox.core.spec.RateLimitSpec;
import dev.arcbox.core.spec.SandboxSpec;
import dev.arcbox.core.spec.TokenBucketSpec;
import dev.arcbox.core.spec.VsockSpec;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * CreateSandboxRequest → SandboxSpec. Only the shape is checked here (enum names, paths that can be
 * paths, fields reserved for later); every rule lives in {@code SpecValidator}. Violations are
 * collected and reported together, each naming its field.
 */
final class ProtoSpecs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> violations = new ArrayList<>();

    private ProtoSpecs() {}

    static SandboxSpec toSpec(CreateSandboxRequest r) {
        ProtoSpecs p = new ProtoSpecs();
        SandboxSpec spec = p.convert(r);
        if (!p.violations.isEmpty()) {
            throw new ArcboxException.InvalidArgument("invalid sandbox spec: " + String.join("; ", p.violations));
        }
        return spec;
    }

    /** ResourceLimits 20-23: each given one is kept (and validated with the spec), the rest derived. */
    private static HostLimits hostLimits(dev.arcbox.api.v1.ResourceLimits l) {
        return new HostLimits(
                l.hasCpuWeight() ? OptionalInt.of(clampToInt(l.getCpuWeight())) : OptionalInt.empty(),
                l.hasCpuMaxPercent() ? OptionalInt.of(clampToInt(l.getCpuMaxPercent())) : OptionalInt.empty(),
                l.hasIoWeight() ? OptionalInt.of(clampToInt(l.getIoWeight())) : OptionalInt.empty(),
                l.hasMemoryMaxMib() && l.getMemoryMaxMib() >= 0 ? OptionalLong.of(l.getMemoryMaxMib())
                        : l.hasMemoryMaxMib() ? OptionalLong.of(Long.MAX_VALUE) : OptionalLong.empty());
    }

    /** An unsigned proto uint32 as an int; values past int range become MAX_VALUE (refused by validation). */
    private static int clampToInt(int unsigned) {
        return unsigned < 0 ? Integer.MAX_VALUE : unsigned;
    }

    private SandboxSpec convert(CreateSandboxRequest r) {
        if (!r.getImage().isEmpty()) {
            violations.add("image: image references are not supported yet; give kernel and rootfs paths");
        }
        if (r.getCmdCount() > 0) {
            violations.add("cmd: a boot command is not supported yet; use Run after create");
        }
        if (r.getMountsCount() > 0) {
            violations.add("mounts: not supported yet");
        }
        if (!r.getUser().isEmpty()) {
            violations.add("user: not supported yet");
        }
        SandboxSpec.Builder b = SandboxSpec.builder(r.getId())
                .vcpus(r.getLimits().getVcpus())
                .memoryMib((int) Math.min(Integer.MAX_VALUE, r.getLimits().getMemoryMib()))
                .kernel(path("kernel", r.getKernel()))
                .rootfs(path("rootfs", r.getRootfs()))
                .bootArgs(r.getBootArgs())
                .labels(r.getLabelsMap())
                .env(r.getEnvMap())
                .network(network(r.getNetwork().getMode()))
                .smt(r.getSmt())
                .trackDirtyPages(r.getTrackDirtyPages())
                .rootReadonly(r.getRootReadonly())
                .entropyDevice(r.getEntropyDevice())
                .hostLimits(hostLimits(r.getLimits()));
        if (r.getTtlSeconds() > 0) {
            b.ttl(Duration.ofSeconds(r.getTtlSeconds()));
        }
        if (r.getIdleTimeoutSeconds() > 0) {
            b.idleTimeout(Duration.ofSeconds(r.getIdleTimeoutSeconds()));
        }
        if (!r.getIdleAction().isEmpty()) {
            b.idleAction(token("idle_action", r.getIdleAction(), IdleAction.values(), IdleAction::token));
        }
        if (!r.getWorkingDir().isEmpty()) {
            violations.add("working_dir: not supported at create yet; give it to Run");
        }
        if (r.hasSshPublicKey()) {
            b.sshPublicKey(r.getSshPublicKey());
        }
        if (r.hasInitrd()) {
            b.initrd(path("initrd", r.getInitrd()));
        }
        if (r.hasHugePages()) {
            b.hugePages(Optional.ofNullable(token("huge_pages", r.getHugePages(), HugePages.values(), HugePages::token)));
        }
        if (r.hasCpuTemplate()) {
            b.cpuTemplate(Optional.ofNullable(token("cpu_template", r.getCpuTemplate(), CpuTemplate.values(), Enum::name)));
        }
        if (!r.getRootIoEngine().isEmpty()) {
            b.rootIoEngine(token("root_io_engine", r.getRootIoEngine(), IoEngine.values(), IoEngine::token));
        }
        if (!r.getRootCacheType().isEmpty()) {
            b.rootCacheType(token("root_cache_type", r.getRootCacheType(), CacheType.values(), CacheType::token));
        }
        if (r.hasRootPartuuid()) {
            b.rootPartuuid(r.getRootPartuuid());
        }
        b.rootRateLimit(rateLimit(r.hasRootRateLimit(), r.getRootRateLimit()));
        b.netRxRateLimit(rateLimit(r.hasNetRxRateLimit(), r.getNetRxRateLimit()));
        b.netTxRateLimit(rateLimit(r.hasNetTxRateLimit(), r.getNetTxRateLimit()));
        List<DriveSpec> drives = new ArrayList<>();
        for (int i = 0; i < r.getExtraDrivesCount(); i++) {
            var d = r.getExtraDrives(i);
            String f = "extra_drives[" + i + "]";
            Path p = path(f + ".path", d.getPath()).orElse(null);
            drives.add(new DriveSpec(d.getDriveId(), p, d.getReadonly(),
                    d.getIoEngine().isEmpty() ? IoEngine.SYNC : token(f + ".io_engine", d.getIoEngine(), IoEngine.values(), IoEngine::token),
                    d.getCacheType().isEmpty() ? CacheType.UNSAFE : token(f + ".cache_type", d.getCacheType(), CacheType.values(), CacheType::token),
                    d.hasPartuuid() ? Optional.of(d.getPartuuid()) : Optional.empty(),
                    rateLimit(d.hasRateLimit(), d.getRateLimit())));
        }
        b.extraDrives(drives);
        if (r.hasBalloon()) {
            var x = r.getBalloon();
            b.balloon(new BalloonSpec(x.getAmountMib(), x.getDeflateOnOom(),
                    x.hasStatsPollingIntervalS() ? OptionalLong.of(x.getStatsPollingIntervalS()) : OptionalLong.empty(),
                    x.getFreePageHinting(), x.getFreePageReporting()));
        }
        if (r.hasVsock()) {
            b.vsock(new VsockSpec(r.getVsock().getGuestCid()));
        }
        if (r.hasSerialOut()) {
            b.serialOut(path("serial_out", r.getSerialOut()));
        }
        if (r.hasMemoryHotplug()) {
            var x = r.getMemoryHotplug();
            b.memoryHotplug(new MemoryHotplugSpec(x.getTotalSizeMib(),
                    x.hasSlotSizeMib() ? OptionalLong.of(x.getSlotSizeMib()) : OptionalLong.empty(),
                    x.hasBlockSizeMib() ? OptionalLong.of(x.getBlockSizeMib()) : OptionalLong.empty()));
        }
        if (r.hasMmds()) {
            var x = r.getMmds();
            b.mmds(new MmdsSpec(x.getNetworkInterfacesList(),
                    x.getVersion().isEmpty() ? MmdsVersion.V1 : token("mmds.version", x.getVersion(), MmdsVersion.values(), Enum::name),
                    x.hasIpv4Address() ? Optional.of(x.getIpv4Address()) : Optional.empty(), x.getImdsCompat(),
                    jsonObject("mmds.initial_data_json", x.getInitialDataJson())));
        }
        if (r.hasDiskSize()) {
            b.diskSize(r.getDiskSize());
        }
        if (r.hasEgress()) {
            b.egress(new EgressPolicy(!r.getEgress().getDenyInternet(), r.getEgress().getAllowCidrsList(),
                    r.getEgress().getDenyCidrsList()));
        }
        List<PortForward> forwards = new ArrayList<>();
        for (var f : r.getPortForwardsList()) {
            forwards.add(new PortForward(f.getHostAddress(), f.getHostPort(), f.getGuestPort()));
        }
        b.portForwards(forwards);
        return b.build();
    }

    private NetworkMode network(String mode) {
        if (mode.isEmpty()) {
            // sandbox networking (mode tap) comes with the networking work; until then none
            return NetworkMode.NONE;
        }
        return token("network.mode", mode, NetworkMode.values(), NetworkMode::token);
    }

    private Optional<Path> path(String field, String value) {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(value));
        } catch (InvalidPathException e) {
            violations.add(field + ": not a valid path");
            return Optional.empty();
        }
    }

    private <E> E token(String field, String value, E[] all, Function<E, String> token) {
        List<String> names = new ArrayList<>();
        for (E e : all) {
            String t = token.apply(e);
            names.add(t);
            if (t.equalsIgnoreCase(value)) {
                return e;
            }
        }
        violations.add(field + ": must be one of " + String.join(", ", names) + ", got '"
                + value.substring(0, Math.min(64, value.length())).toLowerCase(Locale.ROOT) + "'");
        return null;
    }

    private static Optional<RateLimitSpec> rateLimit(boolean present, RateLimit r) {
        if (!present) {
            return Optional.empty();
        }
        return Optional.of(new RateLimitSpec(bucket(r.hasBandwidth(), r.getBandwidth()), bucket(r.hasOps(), r.getOps())));
    }

    private static Optional<TokenBucketSpec> bucket(boolean present, TokenBucket t) {
        return present ? Optional.of(new TokenBucketSpec(t.getSize(), t.getRefillTimeMs(),
                t.hasOneTimeBurst() ? OptionalLong.of(t.getOneTimeBurst()) : OptionalLong.empty())) : Optional.empty();
    }

    private Optional<ObjectNode> jsonObject(String field, String text) {
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(text);
            if (node instanceof ObjectNode o) {
                return Optional.of(o);
            }
            violations.add(field + ": must be a JSON object");
        } catch (java.io.IOException e) {
            violations.add(field + ": not valid JSON");
        }
        return Optional.empty();
    }
}
