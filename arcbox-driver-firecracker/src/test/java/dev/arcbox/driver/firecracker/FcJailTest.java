package dev.arcbox.driver.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.driver.VmPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chroot staging: hard links where possible, copies otherwise; only the VM's writable files change
 * owner; nothing outside the chroot and the data directory is touched, and removal takes only the
 * jail.
 */
class FcJailTest {

    private static final int JAIL_UID = 4242;

    @TempDir
    Path tmp;

    /** Path → (owner, mode, size, mtime, inode link count) of every file under {@code dir}. */
    private static Map<String, String> state(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.toList()) {
                Map<String, Object> a = Files.readAttributes(p, "unix:uid,gid,mode,size,lastModifiedTime",
                        LinkOption.NOFOLLOW_LINKS);
                out.put(dir.relativize(p).toString(), a.get("uid") + ":" + a.get("gid") + " " + a.get("mode") + " "
                        + a.get("size") + " " + a.get("lastModifiedTime"));
            }
        }
        return out;
    }

    @Test
    void staging_linksOnTheSameFileSystem_andTouchesNothingOutsideChrootAndDataDir() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        Path data = Files.createDirectories(tmp.resolve("data"));
        VmPlan plan = FcTestFiles.plan(images, "s1", dev.arcbox.core.driver.VmFeatures.NONE);
        Path assets = images.resolve("assets");
        Map<String, String> before = state(assets);
        FcJail jail = new FcJail(tmp.resolve("jails/firecracker/s1/root"), JAIL_UID, JAIL_UID);
        jail.prepare();

        String kernel = jail.place(plan.kernel(), "vmlinux", false);
        String root = jail.place(plan.disks().get(0).path(), "drives/abx_root", false);
        String rw = jail.place(plan.disks().get(1).path(), "drives/abx_rw", true);

        assertThat(List.of(kernel, root, rw)).containsExactly("/vmlinux", "/drives/abx_root", "/drives/abx_rw");
        assertThat(Files.isSameFile(jail.hostPath(kernel), plan.kernel())).isTrue();
        assertThat(Files.getAttribute(jail.hostPath(kernel), "unix:nlink")).isEqualTo(2);
        assertThat(Files.isSameFile(jail.hostPath(rw), plan.disks().get(1).path())).isTrue();
        assertThat(Files.getAttribute(jail.hostPath(rw), "unix:uid")).isEqualTo(JAIL_UID);
        assertThat(Files.getAttribute(jail.hostPath("/run"), "unix:uid")).isEqualTo(JAIL_UID);
        // read-only sources (the shared images) are never modified: same owner, mode, size, time
        Map<String, String> after = state(assets);
        assertThat(after).isEqualTo(before);
        assertThat(state(data)).hasSize(1);

        jail.remove();
        assertThat(tmp.resolve("jails/firecracker/s1")).doesNotExist();
        assertThat(tmp.resolve("jails/firecracker")).exists();
        assertThat(state(assets)).isEqualTo(before);
        assertThat(Files.getAttribute(plan.kernel(), "unix:nlink")).isEqualTo(1);
    }

    @Test
    void staging_acrossFileSystems_copies_andOwnsTheCopy() throws Exception {
        Path shm = Path.of("/dev/shm");
        if (Files.getFileStore(shm).equals(Files.getFileStore(tmp))) {
            org.junit.jupiter.api.Assumptions.abort("/dev/shm and the temp dir share a file system");
        }
        Path source = FcTestFiles.touch(tmp.resolve("rootfs.ext4"));
        Map<String, String> before = state(tmp);
        Path base = Files.createTempDirectory(shm, "abx-jail-test");
        try {
            FcJail jail = new FcJail(base.resolve("firecracker/s2/root"), JAIL_UID, JAIL_UID);
            jail.prepare();
            String placed = jail.place(source, "drives/abx_root", false);
            Path copy = jail.hostPath(placed);
            assertThat(Files.isSameFile(copy, source)).isFalse();
            assertThat(Files.readString(copy)).isEqualTo(Files.readString(source));
            assertThat(Files.getAttribute(copy, "unix:uid")).isEqualTo(JAIL_UID);
            assertThat(state(tmp)).isEqualTo(before);
            jail.remove();
            assertThat(base.resolve("firecracker/s2")).doesNotExist();
        } finally {
            dev.arcbox.core.fs.FileTree.delete(base);
        }
    }

    @Test
    void pathsInsideTheJail_cannotEscapeIt() {
        FcJail jail = new FcJail(tmp.resolve("jails/firecracker/s3/root"), 1, 1);
        assertThat(jail.hostPath("/run/api.sock")).isEqualTo(jail.root().resolve("run/api.sock"));
        assertThatThrownBy(() -> jail.hostPath("/../../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
    }
}
