package dev.arcbox.driver.firecracker;

import dev.arcbox.core.driver.DriverContract;
import dev.arcbox.core.driver.VmDriver;
import dev.arcbox.core.driver.VmPlan;
import java.nio.file.Path;

/** The shared driver contract on real Firecracker; skips, saying why, where it cannot run. */
class FcDriverContractTest extends DriverContract {

    @Override
    protected void assumeHost() {
        FcContractHost.assume(false);
    }

    @Override
    protected Path kernel() {
        return FcContractHost.KERNEL;
    }

    @Override
    protected VmDriver createDriver() {
        return new FcDriver(FcContractHost.config(false));
    }

    @Override
    protected Path memoryFileOf(VmPlan plan) {
        // guest memory is anonymous in Firecracker: nothing outside the run directory to check
        return plan.runDir().resolve("no-memory-file");
    }
}
