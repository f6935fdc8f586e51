package dev.arcbox.driver.firecracker;

import dev.arcbox.core.driver.MemoryFormat;
import dev.arcbox.core.driver.SnapshotContract;
import dev.arcbox.core.driver.VmDriver;
import java.nio.file.Path;

/**
 * The shared snapshot and fork contract on real Firecracker under the jailer (fork needs a jail
 * per clone); skips, saying why, where it cannot run.
 */
class FcSnapshotContractTest extends SnapshotContract {

    @Override
    protected void assumeHost() {
        FcContractHost.assume(true);
    }

    @Override
    protected Path kernel() {
        return FcContractHost.KERNEL;
    }

    @Override
    protected MemoryFormat cloneSnapshotFormat() {
        return MemoryFormat.RAW_FILE;
    }

    @Override
    protected VmDriver createDriver() {
        return new FcDriver(FcContractHost.config(true));
    }
}
