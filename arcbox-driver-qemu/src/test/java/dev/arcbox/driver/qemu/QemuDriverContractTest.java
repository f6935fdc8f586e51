package dev.arcbox.driver.qemu;

import dev.arcbox.core.driver.DriverContract;
import dev.arcbox.core.driver.VmDriver;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.testing.TestRun;
import java.nio.file.Path;

class QemuDriverContractTest extends DriverContract {

    @Override
    protected VmDriver createDriver() {
        return new QemuDriver(QemuConfig.defaults().withRamDir(TestRun.ramDir()));
    }

    @Override
    protected Path memoryFileOf(VmPlan plan) {
        return TestRun.ramDir().resolve(plan.vmId() + ".ram");
    }
}
