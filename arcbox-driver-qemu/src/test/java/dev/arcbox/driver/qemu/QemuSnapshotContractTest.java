package dev.arcbox.driver.qemu;

import dev.arcbox.core.driver.SnapshotContract;
import dev.arcbox.core.driver.VmDriver;
import dev.arcbox.core.testing.TestRun;

class QemuSnapshotContractTest extends SnapshotContract {

    @Override
    protected VmDriver createDriver() {
        return new QemuDriver(QemuConfig.defaults().withRamDir(TestRun.ramDir()));
    }
}
