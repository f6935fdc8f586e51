package dev.arcbox.core.driver;

import java.nio.file.Path;

/**
 * A block device given to the guest.
 *
 * @param id identifier unique within the VM (letters, digits, '-', '_')
 * @param path host file backing the device
 * @param readOnly whether the guest may write
 * @param serial virtio-blk serial the guest agent finds the disk by ({@code abx-root} for the base
 *     image, {@code abx-rw} for the sandbox's writable disk), at most 20 bytes
 */
public record DiskPlan(String id, Path path, boolean readOnly, String serial) {

    public static final String ROOT_SERIAL = "abx-root";
    public static final String WRITABLE_SERIAL = "abx-rw";

    public static DiskPlan root(Path image) {
        return new DiskPlan("root", image, true, ROOT_SERIAL);
    }

    public static DiskPlan writable(Path disk) {
        return new DiskPlan("rw", disk, false, WRITABLE_SERIAL);
    }
}
