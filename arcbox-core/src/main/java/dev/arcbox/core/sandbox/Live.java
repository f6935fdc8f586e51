package dev.arcbox.core.sandbox;

import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.spec.IdleAction;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/** What the daemon holds in memory about a sandbox whose VM runs. */
final class Live {

    final RunningVm vm;
    final AtomicInteger running = new AtomicInteger();
    volatile Instant readyAt;
    volatile Duration bootTime;
    /** Set before the daemon itself ends the VM, so its exit is not reported as a failure. */
    volatile boolean expectedExit;
    /** The last guest call or execution end (or when the daemon got hold of the VM). */
    volatile Instant lastActivity;
    /** Idle policy of the sandbox's spec: null timeout = never idle. */
    volatile Duration idleTimeout;
    volatile IdleAction idleAction = IdleAction.PAUSE;
    /** The agent client last handed out, to count reconnects. */
    volatile AgentClient agent;

    Live(RunningVm vm) {
        this.vm = vm;
    }

    /** When this sandbox was last active: its last call, execution end or readiness. */
    Instant activeAt() {
        Instant ready = readyAt;
        Instant last = lastActivity;
        return ready != null && (last == null || ready.isAfter(last)) ? ready : last;
    }
}
