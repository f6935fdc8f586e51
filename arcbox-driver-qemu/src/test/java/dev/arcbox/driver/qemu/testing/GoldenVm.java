package dev.arcbox.driver.qemu.testing;

import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.RestorePlan;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.SnapshotFiles;
import dev.arcbox.core.driver.SnapshotKind;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.image.ScratchDisk;
import dev.arcbox.core.testing.TestRun;
import dev.arcbox.driver.qemu.QemuConfig;
import dev.arcbox.driver.qemu.QemuDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Boot once, fork many: a JUnit extension that cold-boots one golden VM per test JVM, snapshots
 * it once, and hands each test parameter of type {@link Fork} a fresh clone restored from that
 * snapshot (clock and entropy resynced, its own copy of the disk). Clones are stopped after each
 * test. Use it for every test that is not about cold boot:
 *
 * <pre>{@code
 * @ExtendWith(GoldenVm.class)
 * class MyTest {
 *     @Test void something(GoldenVm.Fork fork) { fork.agent().exec(...); }
 * }
 * }</pre>
 */
public final class GoldenVm implements ParameterResolver, AfterEachCallback {

    /** A clone of the golden VM, ready: its agent answered and was resynced. */
    public record Fork(RunningVm vm, AgentClient agent, VmPlan plan) {}

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(GoldenVm.class);
    private static Golden golden;

    private record Golden(QemuDriver driver, GuestImage image, SnapshotFiles snapshot) {}

    /** The shared golden snapshot, made on first use. */
    private static synchronized Golden golden() {
        if (golden == null) {
            TestRun.assumeQemuHost();
            QemuDriver driver = new QemuDriver(QemuConfig.defaults().withRamDir(TestRun.ramDir()));
            GuestImage image = TestRun.image();
            VmPlan plan = plan(image, TestRun.vmId(), null);
            RunningVm origin = driver.boot(plan);
            try {
                origin.agent(DEADLINE);
                Path dir = Files.createDirectories(TestRun.baseDir().resolve("golden-" + plan.vmId()));
                SnapshotFiles snapshot = origin.snapshot(dir, SnapshotKind.FULL, true);
                golden = new Golden(driver, image, snapshot);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                // the snapshot holds everything; the paused origin is of no further use
                origin.stop(Duration.ZERO);
                FileTree.delete(plan.runDir().getParent());
            }
        }
        return golden;
    }

    /** A fresh clone of the golden VM; the caller stops it (the extension does for parameters). */
    public static Fork fork() {
        Golden g = golden();
        VmPlan plan = plan(g.image(), TestRun.vmId(), g.snapshot().writableDisk().orElseThrow());
        RunningVm vm = g.driver().restore(new RestorePlan(plan, g.snapshot()));
        try {
            AgentClient agent = vm.agent(DEADLINE);
            byte[] entropy = new byte[32];
            new SecureRandom().nextBytes(entropy);
            agent.resync(Instant.now(), entropy, DEADLINE);
            return new Fork(vm, agent, plan);
        } catch (RuntimeException e) {
            vm.stop(Duration.ZERO);
            throw e;
        }
    }

    /** Stops a fork and removes its directory. */
    public static void release(Fork fork) {
        fork.vm().stop(Duration.ofSeconds(5));
        FileTree.delete(fork.plan().runDir().getParent());
    }

    private static VmPlan plan(GuestImage image, String vmId, Path diskSource) {
        try {
            Path dir = Files.createDirectories(TestRun.baseDir().resolve(vmId));
            Path disk = dir.resolve("rw.img");
            if (diskSource == null) {
                ScratchDisk.create(disk, 512L << 20);
            } else {
                FileTree.sparseCopy(diskSource, disk);
            }
            return new VmPlan(vmId, dir.resolve("run"), dir.resolve("console.log"), MachinePlan.of(1, 256),
                    image.kernel(), image.initrd(), "arcbox.hostname=golden",
                    List.of(DiskPlan.root(image.rootfs()), DiskPlan.writable(disk)), List.of(),
                    VmPlan.DEFAULT_AGENT_PORT, image.hashes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Fork.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Fork fork = fork();
        forks(context).add(fork);
        return fork;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<Fork> forks = forks(context);
        forks.forEach(GoldenVm::release);
        forks.clear();
    }

    @SuppressWarnings("unchecked")
    private static List<Fork> forks(ExtensionContext context) {
        return context.getStore(NS).computeIfAbsent("forks", k -> new ArrayList<Fork>(), List.class);
    }
}
