package dev.arcbox.core.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.config.DaemonConfig;
import dev.arcbox.core.config.DefaultVmConfig;
import dev.arcbox.core.driver.Capability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every rule of {@link SpecValidator}, good and bad, on real files in a temporary tree. */
class SpecValidatorTest {

    private static final long MIB = 1024 * 1024;
    private static final DefaultVmConfig DEFAULTS =
            new DefaultVmConfig(1, 256, Optional.empty(), Optional.empty(), Optional.empty(), "", 2048);

    @TempDir
    Path tmp;

    Path images;
    Path kernel;
    Path initrd;
    Path rootfs;
    Path data;
    Path outside;

    @BeforeEach
    void tree() throws IOException {
        images = Files.createDirectories(tmp.resolve("images"));
        Files.createDirectories(images.resolve("abc123"));
        kernel = Files.writeString(images.resolve("abc123/vmlinux"), "k");
        initrd = Files.writeString(images.resolve("abc123/initrd.img"), "i");
        rootfs = Files.writeString(images.resolve("abc123/rootfs.ext4"), "r");
        Files.writeString(images.resolve("data.img"), "d");
        Files.writeString(images.resolve("data2.img"), "d");
        data = Files.createDirectories(tmp.resolve("data"));
        Files.createDirectories(data.resolve("sandboxes/sb1"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("shadow"), "secret");
    }

    private ValidationContext context(Set<Capability> caps) {
        return new ValidationContext(List.of(images), DEFAULTS, data, "qemu", caps);
    }

    private SandboxSpec validate(SandboxSpec spec) {
        return SpecValidator.validate(spec, context(EnumSet.allOf(Capability.class)));
    }

    private SandboxSpec.Builder spec() {
        return SandboxSpec.builder("sb1");
    }

    /** The violations of {@code spec}, or none. */
    private List<String> violations(SandboxSpec spec) {
        try {
            validate(spec);
            return List.of();
        } catch (ArcboxException.InvalidArgument e) {
            assertThat(e.getMessage()).startsWith("invalid sandbox spec: ");
            return List.of(e.getMessage().substring("invalid sandbox spec: ".length()).split("; "));
        }
    }

    private void accepted(SandboxSpec.Builder spec) {
        assertThat(violations(spec.build())).isEmpty();
    }

    private void refused(SandboxSpec.Builder spec, String violation) {
        assertThat(violations(spec.build())).singleElement().asString().startsWith(violation);
    }

    // ---- defaults and normalization ---------------------------------------------------------------

    @Test
    void minimalSpec_getsTheDaemonDefaults() {
        SandboxSpec out = validate(spec().build());

        assertThat(out.id()).isEqualTo("sb1");
        assertThat(out.vcpus()).isEqualTo(1);
        assertThat(out.memoryMib()).isEqualTo(256);
        assertThat(out.diskSize()).hasValue(2048 * MIB);
        assertThat(out.kernel()).isEmpty();
        assertThat(out.initrd()).isEmpty();
        assertThat(out.rootfs()).isEmpty();
        assertThat(out.bootArgs()).isEmpty();
        assertThat(out.network()).isEqualTo(NetworkMode.TAP);
        assertThat(out.rootIoEngine()).isEqualTo(IoEngine.SYNC);
        assertThat(out.rootCacheType()).isEqualTo(CacheType.UNSAFE);
    }

    @Test
    void unsetFields_takeConfiguredDefaults_whichAreCheckedToo() throws IOException {
        DefaultVmConfig defaults = new DefaultVmConfig(2, 512, Optional.of(kernel), Optional.of(initrd),
                Optional.of(rootfs), "quiet", 4096);
        ValidationContext ctx = new ValidationContext(List.of(images), defaults, data, "qemu", EnumSet.allOf(Capability.class));

        SandboxSpec out = SpecValidator.validate(spec().kernel(Path.of("")).build(), ctx);

        assertThat(out.vcpus()).isEqualTo(2);
        assertThat(out.memoryMib()).isEqualTo(512);
        assertThat(out.kernel()).contains(kernel.toRealPath());
        assertThat(out.initrd()).contains(initrd.toRealPath());
        assertThat(out.rootfs()).contains(rootfs.toRealPath());
        assertThat(out.bootArgs()).isEqualTo("quiet");
        assertThat(out.diskSize()).hasValue(4096 * MIB);

        DefaultVmConfig badDefaults = new DefaultVmConfig(1, 256, Optional.of(outside.resolve("shadow")),
                Optional.empty(), Optional.empty(), "", 2048);
        assertThatThrownBy(() -> SpecValidator.validate(spec().build(),
                new ValidationContext(List.of(images), badDefaults, data, "qemu", EnumSet.allOf(Capability.class))))
                .hasMessageContaining("kernel: must lie inside an image directory");
    }

    @Test
    void explicitValues_winOverDefaults() {
        SandboxSpec out = validate(spec().vcpus(4).memoryMib(1024).bootArgs("init=/bin/sh").diskSize(64 * MIB)
                .kernel(kernel).build());

        assertThat(out.vcpus()).isEqualTo(4);
        assertThat(out.memoryMib()).isEqualTo(1024);
        assertThat(out.bootArgs()).isEqualTo("init=/bin/sh");
        assertThat(out.diskSize()).hasValue(64 * MIB);
    }

    @Test
    void validate_isIdempotent() {
        SandboxSpec once = validate(spec().kernel(kernel).rootfs(rootfs).labels(Map.of("a", "b")).build());

        assertThat(validate(once)).isEqualTo(once);
    }

    @Test
    void defaultsFromTheBuiltInConfig_workThroughValidationContextOf() {
        ValidationContext ctx = ValidationContext.of(DaemonConfig.builtIn(), "qemu", EnumSet.allOf(Capability.class));

        assertThat(ctx.sandboxesDir()).isEqualTo(Path.of("/var/lib/arcbox/sandboxes"));
        assertThat(SpecValidator.validate(spec().build(), ctx).memoryMib()).isEqualTo(256);
    }

    // ---- id ---------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"a", "my sandbox", "ünïcödé-名前", "x.y_z-1", "..a", "a..", " padded "})
    void id_freeFormNames_areAccepted(String id) {
        accepted(SandboxSpec.builder(id));
        accepted(SandboxSpec.builder("x".repeat(64)));
        accepted(SandboxSpec.builder("名".repeat(64)));
    }

    @Test
    void id_badNames_areRefused() {
        refused(SandboxSpec.builder(""), "id: required");
        refused(SandboxSpec.builder(null), "id: required");
        refused(SandboxSpec.builder("x".repeat(65)), "id: at most 64 characters, got 65");
        refused(SandboxSpec.builder("a/b"), "id: must not contain '/'");
        refused(SandboxSpec.builder("a\0b"), "id: must not contain a nul character");
        refused(SandboxSpec.builder("   "), "id: must not be only whitespace");
        refused(SandboxSpec.builder("\t\n"), "id: must not be only whitespace");
        refused(SandboxSpec.builder("."), "id: must not be '.' or '..'");
        refused(SandboxSpec.builder(".."), "id: must not be '.' or '..'");
    }

    // ---- labels and env ---------------------------------------------------------------------------

    @Test
    void labels_withinLimits_areAccepted() {
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < 64; i++) {
            labels.put("team.example.com/k-" + i, "v".repeat(256));
        }
        labels.put("k".repeat(63), "");
        labels.remove("team.example.com/k-0");
        accepted(spec().labels(labels));
    }

    @Test
    void labels_beyondLimits_areRefused() {
        Map<String, String> many = new LinkedHashMap<>();
        for (int i = 0; i < 65; i++) {
            many.put("k" + i, "v");
        }
        refused(spec().labels(many), "labels: at most 64 entries, got 65");
        refused(spec().labels(Map.of("k".repeat(64), "v")), "labels['" + "k".repeat(64) + "']: key must be 1-63 characters");
        refused(spec().labels(Map.of("bad key", "v")), "labels['bad key']: key must be 1-63 characters [A-Za-z0-9._/-]");
        refused(spec().labels(Map.of("", "v")), "labels['']: key must be");
        refused(spec().labels(Map.of("k", "v".repeat(257))), "labels['k']: value at most 256 characters, got 257");
    }

    @Test
    void env_shellNames_areAccepted_andOthersRefused() {
        accepted(spec().env(Map.of("PATH", "/bin", "_x1", "", "LANG", "C.UTF-8")));
        refused(spec().env(Map.of("1A", "x")), "env['1A']: not a valid shell variable name");
        refused(spec().env(Map.of("A-B", "x")), "env['A-B']: not a valid shell variable name");
        refused(spec().env(Map.of("A=B", "x")), "env['A=B']: not a valid shell variable name");
        refused(spec().env(Map.of("A", "x\0y")), "env['A']: value must not contain a nul character");
    }

    @Test
    void env_totalSize_isCappedAt64KiB() {
        accepted(spec().env(Map.of("A", "x".repeat(65536 - 3)))); // A=...\0 is 65536 bytes
        refused(spec().env(Map.of("A", "x".repeat(65536 - 2))), "env: at most 65536 bytes in all (as NAME=value\\0), got 65537");
        refused(spec().env(Map.of("A", "é".repeat(40_000))), "env: at most 65536 bytes in all (as NAME=value\\0), got 80003");
    }

    // ---- image paths ------------------------------------------------------------------------------

    @Test
    void imagePaths_insideAnImageDirectory_areAcceptedAsRealPaths() throws IOException {
        Path link = Files.createSymbolicLink(images.resolve("current"), images.resolve("abc123"));

        SandboxSpec out = validate(spec().kernel(link.resolve("vmlinux")).initrd(initrd).rootfs(rootfs)
                .extraDrives(List.of(DriveSpec.of("data", images.resolve("data.img"), true))).build());

        assertThat(out.kernel()).contains(kernel.toRealPath());
        assertThat(out.initrd()).contains(initrd.toRealPath());
        assertThat(out.extraDrives().getFirst().path()).isEqualTo(images.resolve("data.img").toRealPath());
    }

    @Test
    void imagePaths_outsideTheImageDirectories_areRefused() {
        refused(spec().kernel(Path.of("/etc/shadow")), "kernel: must lie inside an image directory (" + images + "), got /etc/shadow");
        refused(spec().rootfs(outside.resolve("shadow")), "rootfs: must lie inside an image directory");
        refused(spec().initrd(images), "initrd: must lie inside an image directory");
    }

    @Test
    void imagePaths_escapingThroughDotDot_areRefused() {
        refused(spec().kernel(images.resolve("../outside/shadow")), "kernel: must be normalized (no '.' or '..')");
        refused(spec().kernel(images.resolve("abc123/../abc123/vmlinux")), "kernel: must be normalized");
        refused(spec().kernel(images.resolve("./abc123/vmlinux")), "kernel: must be normalized");
        refused(spec().extraDrives(List.of(DriveSpec.of("d", images.resolve("../../etc/passwd"), true))),
                "extra_drives[0].path: must be normalized");
    }

    @Test
    void imagePaths_escapingThroughSymlinks_areRefused() throws IOException {
        Path fileLink = Files.createSymbolicLink(images.resolve("evil.img"), outside.resolve("shadow"));
        Path dirLink = Files.createSymbolicLink(images.resolve("evil-dir"), outside);

        refused(spec().rootfs(fileLink), "rootfs: " + fileLink + " resolves to " + outside.toRealPath().resolve("shadow")
                + ", outside the image directories");
        refused(spec().kernel(dirLink.resolve("shadow")), "kernel: " + dirLink.resolve("shadow") + " resolves to");
        refused(spec().extraDrives(List.of(DriveSpec.of("d", fileLink, false))), "extra_drives[0].path: " + fileLink + " resolves to");
    }

    @Test
    void imagePaths_mustExistAndBeRegularFiles() throws IOException {
        Files.createSymbolicLink(images.resolve("dangling"), images.resolve("gone"));

        refused(spec().kernel(Path.of("vmlinux")), "kernel: must be an absolute path, got 'vmlinux'");
        refused(spec().kernel(images.resolve("missing")), "kernel: no such file: " + images.resolve("missing"));
        refused(spec().kernel(images.resolve("dangling")), "kernel: no such file");
        refused(spec().kernel(images.resolve("abc123")), "kernel: not a regular file: " + images.resolve("abc123"));
    }

    @Test
    void imageDirectory_reachedThroughASymlink_isHonoured() throws IOException {
        Path alias = Files.createSymbolicLink(tmp.resolve("images-link"), images);
        ValidationContext ctx = new ValidationContext(List.of(alias), DEFAULTS, data, "qemu", EnumSet.allOf(Capability.class));

        assertThat(SpecValidator.validate(spec().kernel(kernel).build(), ctx).kernel()).contains(kernel.toRealPath());
        assertThat(SpecValidator.validate(spec().kernel(alias.resolve("abc123/vmlinux")).build(), ctx).kernel())
                .contains(kernel.toRealPath());
    }

    // ---- serial_out -------------------------------------------------------------------------------

    @Test
    void serialOut_insideSandboxes_isAccepted() throws IOException {
        Path console = data.resolve("sandboxes/sb1/console.log");

        assertThat(validate(spec().serialOut(console).build()).serialOut()).contains(data.toRealPath().resolve("sandboxes/sb1/console.log"));
        accepted(spec().serialOut(data.resolve("sandboxes/new/console.log")));
        accepted(spec());
    }

    @Test
    void serialOut_elsewhere_isRefused() throws IOException {
        Path link = Files.createSymbolicLink(data.resolve("sandboxes/escape"), outside);
        Files.createSymbolicLink(data.resolve("sandboxes/dangling.log"), outside.resolve("new.log"));

        refused(spec().serialOut(outside.resolve("console.log")), "serial_out: must lie inside " + data.resolve("sandboxes"));
        refused(spec().serialOut(data.resolve("store.db")), "serial_out: must lie inside");
        refused(spec().serialOut(data.resolve("sandboxes/../store.db")), "serial_out: must be normalized");
        refused(spec().serialOut(Path.of("console.log")), "serial_out: must be an absolute path");
        refused(spec().serialOut(link.resolve("console.log")), "serial_out: " + link.resolve("console.log") + " resolves to");
        refused(spec().serialOut(data.resolve("sandboxes/dangling.log")), "serial_out: cannot resolve");
        refused(spec().serialOut(data.resolve("sandboxes/sb1")), "serial_out: is a directory");
    }

    // ---- machine ----------------------------------------------------------------------------------

    @Test
    void machine_ranges() {
        accepted(spec().vcpus(32).memoryMib(262_144));
        accepted(spec().vcpus(1).memoryMib(64));
        refused(spec().vcpus(33), "vcpus: must be 1-32, got 33");
        refused(spec().vcpus(-1), "vcpus: must be 1-32, got -1");
        refused(spec().memoryMib(63), "memory_mib: must be 64-262144, got 63");
        refused(spec().memoryMib(262_145), "memory_mib: must be 64-262144, got 262145");
        accepted(spec().smt(true).vcpus(2));
        accepted(spec().smt(true).vcpus(1));
        refused(spec().smt(true).vcpus(3), "vcpus: must be 1 or even when smt is enabled, got 3");
        accepted(spec().hugePages(HugePages.TWO_MIB).memoryMib(512));
        refused(spec().hugePages(HugePages.TWO_MIB).memoryMib(513), "memory_mib: must be a multiple of 2 with huge_pages 2M");
        accepted(spec().cpuTemplate(CpuTemplate.T2S).trackDirtyPages(true));
    }

    @Test
    void bootArgs_partuuid_sshKey() {
        refused(spec().bootArgs("a\nb"), "boot_args: must be one line");
        refused(spec().bootArgs("x".repeat(2049)), "boot_args: at most 2048 characters, got 2049");
        accepted(spec().rootPartuuid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
        accepted(spec().rootPartuuid("deadbeef-02"));
        refused(spec().rootPartuuid("nope"), "root_partuuid: must be a partition uuid");
        accepted(spec().sshPublicKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host"));
        accepted(spec().sshPublicKey("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY="));
        refused(spec().sshPublicKey("ssh-ed25519 AAAA\nssh-rsa BBBB"), "ssh_public_key: must be one openssh public key line");
        refused(spec().sshPublicKey("not a key"), "ssh_public_key: must be one openssh public key line");
    }

    @Test
    void diskSize_isBetween16MiBAnd1TiB() {
        accepted(spec().diskSize(16 * MIB));
        accepted(spec().diskSize(1024L * 1024 * MIB));
        refused(spec().diskSize(16 * MIB - 1), "disk_size: must be 16777216-1099511627776 bytes (16 MiB-1 TiB), got 16777215");
        refused(spec().diskSize(1024L * 1024 * MIB + 1), "disk_size: must be 16777216-1099511627776");
    }

    @Test
    void ttlAndIdleTimeout_areAtLeastOneSecond() {
        accepted(spec().ttl(Duration.ofSeconds(1)).idleTimeout(Duration.ofHours(1)));
        refused(spec().ttl(Duration.ofMillis(999)), "ttl: must be at least 1s, got PT0.999S");
        refused(spec().ttl(Duration.ofSeconds(-5)), "ttl: must be at least 1s");
        refused(spec().idleTimeout(Duration.ZERO), "idle_timeout: must be at least 1s, got PT0S");
    }

    // ---- devices ----------------------------------------------------------------------------------

    @Test
    void rateLimits_needPositiveBuckets() {
        RateLimitSpec good = new RateLimitSpec(Optional.of(new TokenBucketSpec(1 << 20, 100, OptionalLong.of(0))),
                Optional.of(TokenBucketSpec.of(100, 1000)));
        accepted(spec().rootRateLimit(good).netRxRateLimit(good).netTxRateLimit(good));
        refused(spec().rootRateLimit(new RateLimitSpec(Optional.empty(), Optional.empty())),
                "root_rate_limit: must set bandwidth or ops");
        refused(spec().netRxRateLimit(new RateLimitSpec(Optional.of(TokenBucketSpec.of(0, 100)), Optional.empty())),
                "net_rx_rate_limit.bandwidth.size: must be > 0, got 0");
        refused(spec().netTxRateLimit(new RateLimitSpec(Optional.empty(), Optional.of(TokenBucketSpec.of(10, 0)))),
                "net_tx_rate_limit.ops.refill_time_ms: must be > 0, got 0");
        refused(spec().rootRateLimit(new RateLimitSpec(Optional.of(new TokenBucketSpec(1, 1, OptionalLong.of(-1))), null)),
                "root_rate_limit.bandwidth.one_time_burst: must be >= 0, got -1");
        refused(spec().network(NetworkMode.NONE).netRxRateLimit(good), "net_rx_rate_limit: needs network tap");
    }

    @Test
    void balloon_amountIsAtMostMemory() {
        accepted(spec().memoryMib(512).balloon(new BalloonSpec(512, true, OptionalLong.of(5), true, false)));
        accepted(spec().balloon(new BalloonSpec(0, false, OptionalLong.empty(), false, false)));
        refused(spec().balloon(new BalloonSpec(257, false, null, false, false)), "balloon.amount_mib: must be 0-256 (memory_mib), got 257");
        refused(spec().balloon(new BalloonSpec(-1, false, null, false, false)), "balloon.amount_mib: must be 0-256");
        refused(spec().balloon(new BalloonSpec(1, false, OptionalLong.of(-1), false, false)),
                "balloon.stats_polling_interval_s: must be 0-86400, got -1");
    }

    @Test
    void vsock_guestCid_isAtLeast3() {
        accepted(spec().vsock(new VsockSpec(3)));
        accepted(spec().vsock(new VsockSpec(0xFFFF_FFFEL)));
        refused(spec().vsock(new VsockSpec(2)), "vsock.guest_cid: must be 3-4294967294, got 2");
        refused(spec().vsock(new VsockSpec(0xFFFF_FFFFL)), "vsock.guest_cid: must be 3-4294967294, got 4294967295");
    }

    @Test
    void memoryHotplug_sizesAreMultiples() {
        accepted(spec().memoryHotplug(new MemoryHotplugSpec(1024, null, null)));
        accepted(spec().memoryHotplug(new MemoryHotplugSpec(96, OptionalLong.of(32), OptionalLong.of(4))));
        refused(spec().memoryHotplug(new MemoryHotplugSpec(100, null, null)),
                "memory_hotplug.total_size_mib: must be a positive multiple of slot_size_mib (128), got 100");
        refused(spec().memoryHotplug(new MemoryHotplugSpec(0, null, null)), "memory_hotplug.total_size_mib: must be a positive multiple");
        refused(spec().memoryHotplug(new MemoryHotplugSpec(256, OptionalLong.of(128), OptionalLong.of(3))),
                "memory_hotplug.block_size_mib: must be a power of two >= 2, got 3");
        refused(spec().memoryHotplug(new MemoryHotplugSpec(300, OptionalLong.of(100), OptionalLong.of(8))),
                "memory_hotplug.slot_size_mib: must be a positive multiple of block_size_mib (8), got 100");
    }

    @Test
    void mmds_needsTapAnInterfaceAndALinkLocalAddress() {
        ObjectNode data = new ObjectMapper().createObjectNode().put("hostname", "sb1");
        MmdsSpec good = new MmdsSpec(List.of("eth0"), MmdsVersion.V2, Optional.of("169.254.170.2"), true, Optional.of(data));
        accepted(spec().mmds(good));
        refused(spec().network(NetworkMode.NONE).mmds(good), "mmds: needs network tap, but network is none");
        refused(spec().mmds(new MmdsSpec(List.of(), null, null, false, null)), "mmds.network_interfaces: must name at least one interface");
        refused(spec().mmds(new MmdsSpec(List.of("eth 0"), null, null, false, null)), "mmds.network_interfaces[0]: must be 1-32 characters");
        refused(spec().mmds(new MmdsSpec(List.of("eth0"), null, Optional.of("10.0.0.1"), false, null)),
                "mmds.ipv4_address: must be a link-local ipv4 address (169.254.0.0/16), got '10.0.0.1'");
        refused(spec().mmds(new MmdsSpec(List.of("eth0"), null, Optional.of("169.254.1.300"), false, null)),
                "mmds.ipv4_address: must be a link-local ipv4 address");
    }

    @Test
    void mmds_initialData_isAPrivateCopy() {
        ObjectNode data = new ObjectMapper().createObjectNode().put("k", "v");
        MmdsSpec mmds = new MmdsSpec(List.of("eth0"), MmdsVersion.V1, Optional.empty(), false, Optional.of(data));

        data.put("k", "changed");
        mmds.initialData().orElseThrow().put("k", "changed too");

        assertThat(mmds.initialData().orElseThrow().get("k").asText()).isEqualTo("v");
    }

    @Test
    void extraDrives_idsAreUniqueAndWellFormed() {
        Path d1 = images.resolve("data.img");
        Path d2 = images.resolve("data2.img");
        accepted(spec().extraDrives(List.of(DriveSpec.of("data_1", d1, true), DriveSpec.of("Data-2", d2, false))));
        refused(spec().extraDrives(List.of(DriveSpec.of("d", d1, true), DriveSpec.of("d", d2, true))),
                "extra_drives[1].drive_id: duplicate 'd'");
        refused(spec().extraDrives(List.of(DriveSpec.of("bad id", d1, true))), "extra_drives[0].drive_id: must be 1-32 characters");
        refused(spec().extraDrives(List.of(DriveSpec.of("x".repeat(33), d1, true))), "extra_drives[0].drive_id: must be 1-32");
        refused(spec().extraDrives(List.of(DriveSpec.of("", d1, true))), "extra_drives[0].drive_id: must be 1-32");
        refused(spec().extraDrives(List.of(DriveSpec.of("root", d1, true))), "extra_drives[0].drive_id: 'root' is reserved");
        refused(spec().extraDrives(List.of(DriveSpec.of("rw", d1, true))), "extra_drives[0].drive_id: 'rw' is reserved");
        refused(spec().extraDrives(List.of(new DriveSpec("d", d1, true, IoEngine.ASYNC, CacheType.WRITEBACK,
                Optional.of("zz"), Optional.empty()))), "extra_drives[0].partuuid: must be a partition uuid");
        refused(spec().extraDrives(List.of(new DriveSpec("d", d1, true, null, null, null,
                Optional.of(new RateLimitSpec(null, Optional.of(TokenBucketSpec.of(-1, 1))))))),
                "extra_drives[0].rate_limit.ops.size: must be > 0, got -1");
    }

    @Test
    void extraDrives_mayNotShareAFile_norExceed16() {
        refused(spec().rootfs(rootfs).extraDrives(List.of(DriveSpec.of("again", rootfs, true))),
                "extra_drives[0].path: same file as rootfs");
        List<DriveSpec> many = new ArrayList<>();
        for (int i = 0; i < 17; i++) {
            many.add(DriveSpec.of("d" + i, images.resolve("data.img"), true));
        }
        List<String> violations = violations(spec().extraDrives(many).build());
        assertThat(violations.getFirst()).isEqualTo("extra_drives: at most 16 drives, got 17");
    }

    // ---- collection -------------------------------------------------------------------------------

    @Test
    void everyViolation_isCollectedIntoOneMessage() {
        SandboxSpec spec = SandboxSpec.builder("a/b")
                .vcpus(64)
                .kernel(Path.of("/etc/shadow"))
                .labels(Map.of("bad key", "v"))
                .extraDrives(List.of(DriveSpec.of("d", images.resolve("data.img"), true),
                        DriveSpec.of("d", images.resolve("../outside/shadow"), true)))
                .vsock(new VsockSpec(1))
                .ttl(Duration.ZERO)
                .build();

        assertThatThrownBy(() -> validate(spec))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageStartingWith("invalid sandbox spec: ")
                .hasMessageContaining("id: must not contain '/'")
                .hasMessageContaining("vcpus: must be 1-32, got 64")
                .hasMessageContaining("kernel: must lie inside an image directory")
                .hasMessageContaining("labels['bad key']: key must be")
                .hasMessageContaining("extra_drives[1].drive_id: duplicate 'd'")
                .hasMessageContaining("extra_drives[1].path: must be normalized")
                .hasMessageContaining("vsock.guest_cid: must be 3-4294967294, got 1")
                .hasMessageContaining("ttl: must be at least 1s");
        assertThat(violations(spec)).hasSize(8);
    }

    @Test
    void messages_quoteUserValuesSafely() {
        refused(SandboxSpec.builder("a/\u0001b"), "id: must not contain '/', got 'a/\\x01b'");
        assertThat(Violations.quote("x".repeat(100))).endsWith("...'").hasSize(64 + 5);
    }

    // ---- capabilities -----------------------------------------------------------------------------

    @Test
    void requiredCapabilities_mapsEachFieldToItsCapability() {
        RateLimitSpec limit = new RateLimitSpec(Optional.of(TokenBucketSpec.of(1, 1)), Optional.empty());
        SandboxSpec spec = spec()
                .trackDirtyPages(true).hugePages(HugePages.TWO_MIB).cpuTemplate(CpuTemplate.C3)
                .rootRateLimit(limit)
                .extraDrives(List.of(DriveSpec.of("a", images.resolve("data.img"), true),
                        new DriveSpec("b", images.resolve("data2.img"), true, null, null, null, Optional.of(limit))))
                .netRxRateLimit(limit).netTxRateLimit(limit)
                .balloon(new BalloonSpec(1, false, null, false, false))
                .vsock(new VsockSpec(3))
                .entropyDevice(true)
                .memoryHotplug(new MemoryHotplugSpec(128, null, null))
                .mmds(new MmdsSpec(List.of("eth0"), null, null, false, null))
                .build();

        assertThat(SpecValidator.requiredCapabilities(spec)).containsExactly(
                Map.entry("track_dirty_pages", Capability.SNAPSHOT_DIFF),
                Map.entry("huge_pages", Capability.HUGE_PAGES),
                Map.entry("cpu_template", Capability.CPU_TEMPLATE),
                Map.entry("root_rate_limit", Capability.RATE_LIMIT),
                Map.entry("extra_drives[1].rate_limit", Capability.RATE_LIMIT),
                Map.entry("network", Capability.NETWORK_TAP),
                Map.entry("net_rx_rate_limit", Capability.RATE_LIMIT),
                Map.entry("net_tx_rate_limit", Capability.RATE_LIMIT),
                Map.entry("balloon", Capability.BALLOON),
                Map.entry("entropy_device", Capability.ENTROPY_DEVICE),
                Map.entry("memory_hotplug", Capability.MEMORY_HOTPLUG),
                Map.entry("mmds", Capability.MMDS));
        assertThat(SpecValidator.requiredCapabilities(spec().network(NetworkMode.NONE).vsock(new VsockSpec(3)).build()))
                .isEmpty();
    }

    @Test
    void checkCapabilities_namesFieldDriverAndCapability() {
        Set<Capability> qemu = EnumSet.of(Capability.PAUSE, Capability.NETWORK_TAP, Capability.ENTROPY_DEVICE,
                Capability.SNAPSHOT_FULL, Capability.FORK);
        SandboxSpec balloon = spec().balloon(new BalloonSpec(1, false, null, false, false)).build();

        assertThatThrownBy(() -> SpecValidator.checkCapabilities(balloon, "qemu", qemu))
                .isInstanceOf(ArcboxException.Unsupported.class)
                .hasMessage("balloon: driver qemu lacks capability BALLOON");
        assertThatThrownBy(() -> SpecValidator.checkCapabilities(balloon, qemu))
                .isInstanceOf(ArcboxException.Unsupported.class)
                .hasMessage("balloon: driver lacks capability BALLOON");
        assertThatThrownBy(() -> SpecValidator.checkCapabilities(
                spec().hugePages(HugePages.TWO_MIB).trackDirtyPages(true).build(), "qemu", qemu))
                .hasMessage("track_dirty_pages: driver qemu lacks capability SNAPSHOT_DIFF; "
                        + "huge_pages: driver qemu lacks capability HUGE_PAGES");
        assertThatCode(() -> SpecValidator.checkCapabilities(spec().entropyDevice(true).build(), "qemu", qemu))
                .doesNotThrowAnyException();
    }

    @Test
    void validate_refusesWhatTheContextsDriverLacks_afterFieldChecks() {
        ValidationContext qemu = context(EnumSet.of(Capability.NETWORK_TAP));

        assertThatThrownBy(() -> SpecValidator.validate(spec().mmds(new MmdsSpec(List.of("eth0"), null, null, false, null)).build(), qemu))
                .isInstanceOf(ArcboxException.Unsupported.class)
                .hasMessage("mmds: driver qemu lacks capability MMDS");
        assertThatThrownBy(() -> SpecValidator.validate(spec().vcpus(99).entropyDevice(true).build(), qemu))
                .isInstanceOf(ArcboxException.InvalidArgument.class);
        assertThatThrownBy(() -> SpecValidator.validate(spec().build(), context(Set.of())))
                .isInstanceOf(ArcboxException.Unsupported.class)
                .hasMessage("network: driver qemu lacks capability NETWORK_TAP");
        assertThat(SpecValidator.validate(spec().network(NetworkMode.NONE).vsock(new VsockSpec(7)).build(), context(Set.of())).vsock())
                .contains(new VsockSpec(7));
    }
}
