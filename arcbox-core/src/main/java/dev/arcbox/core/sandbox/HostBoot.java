package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Which boot of the host this is: the kernel's boot id, remembered in the data dir. */
final class HostBoot {

    static final String FILE = "boot_id";
    private static final Path KERNEL_BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    private HostBoot() {}

    /**
     * Whether the host rebooted since the daemon last recorded the boot id (false on first run),
     * and records the current one.
     */
    static boolean changedSinceLastRun(Path dataDir) {
        try {
            String now = Files.readString(KERNEL_BOOT_ID).strip();
            Path file = dataDir.resolve(FILE);
            String before = Files.exists(file) ? Files.readString(file).strip() : null;
            Path tmp = dataDir.resolve(FILE + ".tmp");
            Files.writeString(tmp, now + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return before != null && !before.equals(now);
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("recording the host boot id: " + e.getMessage(), e);
        }
    }
}
