package dev.arcbox.core.sandbox;

import dev.arcbox.core.driver.RunningVm;
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

    Live(RunningVm vm) {
        this.vm = vm;
    }
}
