package dev.arcbox.driver.firecracker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arcbox.core.config.FirecrackerConfig;
import dev.arcbox.core.config.JailerConfig;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.DriveOptions;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.NicPlan;
import dev.arcbox.core.driver.VmFeatures;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.spec.BalloonSpec;
import dev.arcbox.core.spec.CacheType;
import dev.arcbox.core.spec.CpuTemplate;
import dev.arcbox.core.spec.HugePages;
import dev.arcbox.core.spec.IoEngine;
import dev.arcbox.core.spec.MemoryHotplugSpec;
import dev.arcbox.core.spec.MmdsSpec;
import dev.arcbox.core.spec.MmdsVersion;
import dev.arcbox.core.spec.RateLimitSpec;
import dev.arcbox.core.spec.TokenBucketSpec;
import dev.arcbox.core.spec.VsockSpec;
import dev.arcbox.driver.firecracker.api.FcJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** Plans, configs and fake executables for the Firecracker driver's tests. */
final class FcTestFiles {

    private FcTestFiles() {}

    static RateLimitSpec limit(long bytes, long ops) {
        return new RateLimitSpec(Optional.of(new TokenBucketSpec(bytes, 100, OptionalLong.of(bytes * 2))),
                Optional.of(TokenBucketSpec.of(ops, 1000)));
    }

    /** Features that use every field of the seed's VmSpec beyond the plan. */
    static VmFeatures everyFeature() {
        ObjectNode data = FcJson.MAPPER.createObjectNode();
        data.putObject("arcbox").put("sandbox", "every-field");
        return new VmFeatures(true, Optional.of(HugePages.TWO_MIB), Optional.of(CpuTemplate.T2S),
                Map.of("root", new DriveOptions(IoEngine.ASYNC, CacheType.WRITEBACK, Optional.of("0eb0b3a8-01"),
                                Optional.of(limit(1 << 20, 100))),
                        "data", new DriveOptions(IoEngine.SYNC, CacheType.UNSAFE, Optional.of("d47a-02"),
                                Optional.of(new RateLimitSpec(Optional.empty(), Optional.of(TokenBucketSpec.of(50, 1000)))))),
                Optional.of(limit(10 << 20, 1000)), Optional.of(limit(5 << 20, 500)),
                Optional.of(new BalloonSpec(64, true, OptionalLong.of(5), true, true)),
                Optional.of(new VsockSpec(42)), true, Optional.empty(),
                Optional.of(new MemoryHotplugSpec(1024, OptionalLong.of(256), OptionalLong.of(4))),
                Optional.of(new MmdsSpec(List.of("eth0"), MmdsVersion.V2, Optional.of("169.254.170.2"), true,
                        Optional.of(data))),
                Optional.of("ssh-ed25519 AAAAC3Nza test@arcbox"));
    }

    /** A plan on files under {@code dir}: kernel, initrd, root, writable and one extra disk, one NIC. */
    static VmPlan plan(Path dir, String vmId, VmFeatures features) throws IOException {
        Path assets = Files.createDirectories(dir.resolve("assets"));
        Path kernel = touch(assets.resolve("vmlinux"));
        Path initrd = touch(assets.resolve("initrd"));
        Path rootfs = touch(assets.resolve("rootfs.ext4"));
        Path data = touch(assets.resolve("data.img"));
        Path vmDir = Files.createDirectories(dir.resolve(vmId));
        Path rw = touch(vmDir.resolve("disk.img"));
        return new VmPlan(vmId, vmDir.resolve("run"), vmDir.resolve("console.log"), new MachinePlan(2, 256, true, "auto"),
                kernel, initrd, "arcbox.hostname=" + vmId,
                List.of(DiskPlan.root(rootfs), DiskPlan.writable(rw), new DiskPlan("data", data, true, null)),
                List.of(new NicPlan("eth0", "abx" + vmId, "06:00:ac:10:00:02")), null,
                Map.of("kernel", "k1", "initrd", "i1", "rootfs", "r1"), features);
    }

    static Path touch(Path file) throws IOException {
        if (!Files.exists(file)) {
            Files.writeString(file, "content of " + file.getFileName());
        }
        return file;
    }

    static FirecrackerConfig config(Path binary, Optional<JailerConfig> jailer, long socketTimeoutSecs) {
        return new FirecrackerConfig(binary, jailer, Optional.of(FirecrackerConfig.LogLevel.DEBUG), false,
                Optional.empty(), OptionalLong.of(65536), OptionalLong.of(102400), OptionalLong.of(socketTimeoutSecs));
    }

    /** A {@code firecracker} that is {@link FakeFirecrackerMain} in a JVM of its own. */
    static Path fakeFirecracker(Path dir) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return script(dir.resolve("firecracker"), "exec '" + java + "' -XX:TieredStopAtLevel=1 -Xshare:auto -cp '"
                + System.getProperty("java.class.path") + "' " + FakeFirecrackerMain.class.getName() + " \"$@\"");
    }

    /**
     * A {@code jailer} that does what the driver relies on, without chroot or privileges: makes
     * {@code <base>/<exec name>/<id>/root}, marks it a fake jail (paths resolve inside it), enters
     * it and execs the exec file with the arguments after {@code --} plus {@code --id}.
     */
    static Path fakeJailer(Path dir) throws IOException {
        return script(dir.resolve("jailer"), String.join("\n",
                "id=; exe=; base=/srv/jailer",
                "while [ $# -gt 0 ]; do",
                "  case \"$1\" in",
                "    --id) id=$2; shift 2;;",
                "    --exec-file) exe=$2; shift 2;;",
                "    --chroot-base-dir) base=$2; shift 2;;",
                "    --new-pid-ns) shift;;",
                "    --) shift; break;;",
                "    *) shift 2;;",
                "  esac",
                "done",
                "root=\"$base/$(basename \"$exe\")/$id/root\"",
                "mkdir -p \"$root\" && touch \"$root/.fake-jail\" && cd \"$root\" || exit 70",
                "exec \"$exe\" \"$@\" --id \"$id\""));
    }

    static Path script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }
}
