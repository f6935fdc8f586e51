package dev.arcbox.driver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about the host CPU that guest command lines need. */
final class HostCpu {

    private static final long FALLBACK_KHZ = 2_000_000;

    private HostCpu() {}

    /**
     * The host TSC rate in kHz, from the first {@code cpu MHz} line of /proc/cpuinfo. Under TCG the
     * guest's rdtsc returns host TSC ticks, so this is the rate the guest must assume.
     */
    static long tscKhz() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("cpu MHz")) {
                    return Math.round(Double.parseDouble(line.substring(line.indexOf(':') + 1).trim())) * 1000;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return FALLBACK_KHZ;
        }
        return FALLBACK_KHZ;
    }
}
