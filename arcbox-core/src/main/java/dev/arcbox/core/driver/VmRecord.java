package dev.arcbox.core.driver;

import java.nio.file.Path;
import java.util.Map;

/**
 * What the store keeps about a running VM so a restarted daemon can find it again. A process is
 * identified by its pid together with its start time (clock ticks since boot, field 22 of
 * {@code /proc/PID/stat}): a pid alone may have been reused.
 *
 * @param vmId the VM's short internal id
 * @param driver the driver's id
 * @param pid the VMM process
 * @param startTime the VMM process's start time in clock ticks since boot
 * @param runDir the VM's run directory
 * @param plan the plan the VM was booted or restored with
 * @param driverState driver-specific values (socket paths, memory file, ...)
 */
public record VmRecord(
        String vmId,
        String driver,
        long pid,
        long startTime,
        Path runDir,
        VmPlan plan,
        Map<String, String> driverState) {

    public VmRecord {
        driverState = Map.copyOf(driverState);
    }
}
