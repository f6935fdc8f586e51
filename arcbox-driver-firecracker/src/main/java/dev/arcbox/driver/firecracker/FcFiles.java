package dev.arcbox.driver.firecracker;

import java.util.Map;

/**
 * The paths Firecracker is given for one VM (see {@link FcLayout}): relative in direct mode,
 * chroot-absolute when jailed.
 *
 * @param kernel the kernel image
 * @param initrd the initramfs
 * @param drives drive path by {@code DiskPlan} id
 * @param vsock the vsock device's host socket
 * @param logFifo the logger FIFO
 * @param metricsFifo the metrics FIFO
 * @param serial where the serial console goes, or null for Firecracker's stdout
 */
record FcFiles(String kernel, String initrd, Map<String, String> drives, String vsock, String logFifo,
        String metricsFifo, String serial) {

    FcFiles {
        drives = Map.copyOf(drives);
    }
}
