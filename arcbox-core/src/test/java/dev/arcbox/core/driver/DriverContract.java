package dev.arcbox.core.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.agent.AgentHello;
import dev.arcbox.core.agent.ExecRequest;
import dev.arcbox.core.agent.ExecResult;
import dev.arcbox.core.agent.Execution;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.image.ScratchDisk;
import dev.arcbox.core.proc.ProcessIdentity;
import dev.arcbox.core.testing.TestRun;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link VmDriver} must show, run for real against each driver the host can
 * run. One VM is cold-booted for the class (booting is what is under test here); the tests use it
 * in order and the last one stops it and checks that nothing is left behind.
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = java.util.concurrent.TimeUnit.MINUTES)
public abstract class DriverContract {

    protected static final Duration BOOT_DEADLINE = Duration.ofSeconds(90);
    protected static final Duration EXEC_DEADLINE = Duration.ofSeconds(60);

    protected VmDriver driver;
    protected GuestImage image;
    protected RunningVm vm;
    protected VmPlan plan;

    /** The driver under test, configured to keep its files under {@link TestRun} names. */
    protected abstract VmDriver createDriver();

    /** Where the driver keeps a VM's memory file, to check it is gone after stop. */
    protected abstract Path memoryFileOf(VmPlan plan);

    /** Skips the suite, naming what is missing, unless this host can run the driver (default: QEMU). */
    protected void assumeHost() {
        TestRun.assumeQemuHost();
    }

    /** The kernel the suite boots (default: the guest image's). */
    protected Path kernel() {
        return image.kernel();
    }

    @BeforeAll
    void bootOnce() {
        assumeHost();
        driver = createDriver();
        image = TestRun.image();
        plan = plan(TestRun.vmId());
        vm = driver.boot(plan);
    }

    @AfterAll
    void stopIfStillRunning() {
        if (vm != null) {
            vm.stop(Duration.ofSeconds(5));
        }
    }

    /** A plan for the guest image with a fresh writable disk. */
    protected VmPlan plan(String vmId) {
        Path dir = TestRun.baseDir().resolve(vmId);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Path disk = dir.resolve("rw.img");
        ScratchDisk.create(disk, 256L << 20);
        return new VmPlan(vmId, dir.resolve("run"), dir.resolve("console.log"), MachinePlan.of(1, 256),
                kernel(), image.initrd(), "arcbox.hostname=" + vmId,
                List.of(DiskPlan.root(image.rootfs()), DiskPlan.writable(disk)), List.of(),
                VmPlan.DEFAULT_AGENT_PORT, image.hashes());
    }

    protected static String run(AgentClient agent, String... argv) {
        ExecResult result = agent.exec(ExecRequest.of(argv), EXEC_DEADLINE).collect(EXEC_DEADLINE, 1 << 20);
        assertThat(result.status().exitCode()).as("exit code of %s, stderr %s", List.of(argv),
                new String(result.stderr(), StandardCharsets.UTF_8)).isZero();
        return new String(result.stdout(), StandardCharsets.UTF_8);
    }

    @Test
    @Order(1)
    void boot_agentAnswersHello() {
        AgentHello hello = vm.agent(BOOT_DEADLINE).hello();
        assertThat(hello.version()).isEqualTo(1);
        assertThat(hello.capabilities()).contains("exec", "attach", "credit");
        assertThat(hello.bootReadyNanos()).isGreaterThan(hello.bootInitNanos()).isPositive();
        assertThat(vm.onExit()).isNotDone();
    }

    @Test
    @Order(2)
    void exec_echo_printsAndExitsZero() {
        ExecResult result = vm.agent(BOOT_DEADLINE).exec(ExecRequest.of("echo", "hello"), EXEC_DEADLINE)
                .collect(EXEC_DEADLINE, 4096);
        assertThat(new String(result.stdout(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(result.stderr()).isEmpty();
        assertThat(result.status().exitCode()).isZero();
        assertThat(result.status().timedOut()).isFalse();
    }

    @Test
    @Order(3)
    void exec_failingCommand_reportsItsCode() {
        AgentClient agent = vm.agent(BOOT_DEADLINE);
        ExecResult result = agent.exec(ExecRequest.of("sh", "-c", "echo oops >&2; exit 3"), EXEC_DEADLINE)
                .collect(EXEC_DEADLINE, 4096);
        assertThat(result.status().exitCode()).isEqualTo(3);
        assertThat(new String(result.stderr(), StandardCharsets.UTF_8)).isEqualTo("oops\n");
        assertThatThrownBy(() -> agent.exec(ExecRequest.of("/no/such/binary"), EXEC_DEADLINE))
                .isInstanceOf(ArcboxException.NotFound.class);
    }

    @Test
    @Order(4)
    void exec_twoAtOnce_bothComplete() throws IOException {
        AgentClient agent = vm.agent(BOOT_DEADLINE);
        // the first waits for its stdin: it is still running while the second starts and ends
        Execution waiting = agent.exec(new ExecRequest(List.of("sh", "-c", "read line; echo got $line"), Map.of(),
                null, null, true, ExecRequest.DEFAULT_WINDOW), EXEC_DEADLINE);
        ExecResult quick = agent.exec(ExecRequest.of("echo", "quick"), EXEC_DEADLINE).collect(EXEC_DEADLINE, 4096);
        assertThat(new String(quick.stdout(), StandardCharsets.UTF_8)).isEqualTo("quick\n");
        assertThat(waiting.exit()).isNotDone();
        waiting.stdin().write("ping\n".getBytes(StandardCharsets.UTF_8));
        waiting.stdin().close();
        ExecResult slow = waiting.collect(EXEC_DEADLINE, 4096);
        assertThat(new String(slow.stdout(), StandardCharsets.UTF_8)).isEqualTo("got ping\n");
        assertThat(slow.status().exitCode()).isZero();
    }

    @Test
    @Order(5)
    void agentReconnect_midExec_reattachGetsTheRest() throws IOException {
        AgentClient first = vm.agent(BOOT_DEADLINE);
        run(first, "rm", "-f", "/tmp/go");
        Execution exec = first.exec(ExecRequest.of("sh", "-c",
                "echo first; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo second; echo third"), EXEC_DEADLINE);
        InputStream out = exec.stdout();
        assertThat(new String(out.readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("first\n");

        vm.disconnectAgent();
        assertThat(first.isOpen()).isFalse();
        AgentClient second = vm.agent(BOOT_DEADLINE);
        assertThat(second).isNotSameAs(first);
        assertThat(second.hello().execIds()).contains(exec.id());
        // the rest of the output is produced while no host watches the execution
        run(second, "touch", "/tmp/go");
        Execution again = second.attach(exec.id(), exec.stdoutReceived(), exec.stderrReceived(), EXEC_DEADLINE);
        ExecResult rest = again.collect(EXEC_DEADLINE, 4096);
        assertThat(new String(rest.stdout(), StandardCharsets.UTF_8)).isEqualTo("second\nthird\n");
        assertThat(rest.status().exitCode()).isZero();
        assertThat(rest.status().stdoutTotal()).isEqualTo("first\nsecond\nthird\n".length());
        assertThat(again.lostBytes()).isZero();
    }

    @Test
    @Order(100)
    void stop_isGraceful_andLeavesNothingBehind() {
        long pid = vm.pid();
        ProcessIdentity process = ProcessIdentity.of(pid).orElseThrow();
        StopResult result = vm.stop(Duration.ofSeconds(30));
        assertThat(result.how()).isEqualTo(StopResult.How.GRACEFUL);
        assertThat(process.isAlive()).isFalse();
        assertThat(vm.onExit()).isDone();
        assertThat(plan.runDir()).doesNotExist();
        assertThat(memoryFileOf(plan)).doesNotExist();
        assertThat(vm.stop(Duration.ofSeconds(1)).how()).isEqualTo(StopResult.How.ALREADY_EXITED);
        vm = null;
    }

    @Test
    void validate_badPlans_failNamingTheField_beforeSpawning() {
        VmPlan good = plan(TestRun.vmId());
        VmPlan noKernel = new VmPlan(good.vmId(), good.runDir(), good.consoleLog(), good.machine(),
                Path.of("/nonexistent/vmlinux"), good.initrd(), "", good.disks(), List.of(), null, Map.of());
        VmPlan zeroMemory = new VmPlan(good.vmId(), good.runDir(), good.consoleLog(), MachinePlan.of(1, 0),
                good.kernel(), good.initrd(), "", good.disks(), List.of(), null, Map.of());
        VmPlan badAccel = new VmPlan(good.vmId(), good.runDir(), good.consoleLog(), new MachinePlan(1, 256, false, "warp"),
                good.kernel(), good.initrd(), "", good.disks(), List.of(), null, Map.of());
        assertThatThrownBy(() -> driver.boot(noKernel))
                .isInstanceOf(ArcboxException.InvalidArgument.class).hasMessageContaining("kernel: no such file");
        assertThatThrownBy(() -> driver.boot(zeroMemory))
                .isInstanceOf(ArcboxException.InvalidArgument.class).hasMessageContaining("machine.memory_mib");
        assertThatThrownBy(() -> driver.boot(badAccel))
                .isInstanceOf(ArcboxException.InvalidArgument.class).hasMessageContaining("unknown accelerator 'warp'");
        assertThat(good.runDir()).doesNotExist();
    }
}
