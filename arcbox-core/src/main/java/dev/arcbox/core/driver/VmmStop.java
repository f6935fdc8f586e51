package dev.arcbox.core.driver;

import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.proc.PidFd;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The stop sequence every driver's VMM shares, within one deadline: the guest is asked to power off
 * through its agent (for 60 % of the grace, and only while it runs: a paused guest cannot answer),
 * then the VMM gets SIGTERM, and SIGKILL when the grace is over. Kept in one place so the drivers
 * cannot drift apart on what "stop" means.
 */
public final class VmmStop {

    private static final System.Logger LOG = System.getLogger(VmmStop.class.getName());
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;
    private static final long AFTER_KILL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private VmmStop() {}

    /**
     * Stops one VMM.
     *
     * @param what names the VM and its VMM in messages ({@code "vm ab12: qemu pid 42"})
     * @param guestRunning whether the guest's vCPUs run (it can answer SHUTDOWN)
     * @throws ArcboxException.HostFailure when the process survives SIGKILL for 10 s
     */
    public static StopResult stop(String what, PidFd pidfd, AgentLink agent, CompletableFuture<ExitInfo> exit,
            boolean guestRunning, Duration grace) {
        long start = System.nanoTime();
        long end = start + grace.toNanos();
        if (exit.isDone()) {
            return new StopResult(StopResult.How.ALREADY_EXITED, Duration.ZERO, exit.join());
        }
        StopResult.How how = StopResult.How.GRACEFUL;
        if (!guestRunning || !gracefulShutdown(what, agent, exit, start + grace.toNanos() * 6 / 10)) {
            how = StopResult.How.TERMINATED;
            pidfd.signal(SIGTERM);
            if (!awaitExit(exit, end)) {
                how = StopResult.How.KILLED;
                pidfd.signal(SIGKILL);
                if (!awaitExit(exit, System.nanoTime() + AFTER_KILL_NANOS)) {
                    throw new ArcboxException.HostFailure(what + " survived SIGKILL for 10 s", null);
                }
            }
        }
        return new StopResult(how, Duration.ofNanos(System.nanoTime() - start), exit.join());
    }

    /** Asks the guest to power off; true when the VMM exited before {@code endNanos}. */
    private static boolean gracefulShutdown(String what, AgentLink agent, CompletableFuture<ExitInfo> exit,
            long endNanos) {
        try {
            Duration left = Duration.ofNanos(endNanos - System.nanoTime());
            if (left.isNegative() || left.isZero()) {
                return false;
            }
            agent.get(left).shutdown(Duration.ofNanos(Math.max(endNanos - System.nanoTime(), 1)));
        } catch (ArcboxException e) {
            LOG.log(System.Logger.Level.DEBUG, what + ": graceful shutdown: " + e.getMessage());
            return awaitExit(exit, System.nanoTime());
        }
        return awaitExit(exit, endNanos);
    }

    private static boolean awaitExit(CompletableFuture<ExitInfo> exit, long endNanos) {
        try {
            exit.get(Math.max(endNanos - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return exit.isDone();
        } catch (ExecutionException e) {
            return true;
        }
    }
}
