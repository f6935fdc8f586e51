package dev.arcbox.driver.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.NicPlan;
import dev.arcbox.core.driver.VmPlan;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QemuArgsTest {

    private static final VmPlan PLAN = new VmPlan("ab12", Path.of("/run/abx/ab12"), Path.of("/var/lib/abx/ab12/console.log"),
            new MachinePlan(2, 512, false, "auto"), Path.of("/img/vmlinux"), Path.of("/img/initramfs.cpio"),
            "arcbox.hostname=box", List.of(DiskPlan.root(Path.of("/img/rootfs.ext4")),
                    DiskPlan.writable(Path.of("/var/lib/abx/ab12/disk,1.img"))),
            List.of(new NicPlan("eth0", "abxab12", "02:ab:00:00:00:02")), VmPlan.DEFAULT_AGENT_PORT, Map.of());

    @Test
    void tcgCommandLine_isPinned() {
        QemuArgs args = new QemuArgs(PLAN, Accelerator.TCG, 2_100_000, Path.of("/dev/shm/arcbox/ab12.ram"), true, false);
        assertThat(String.join(" ", args.command(Path.of("/usr/bin/qemu-system-x86_64")))).isEqualTo(
                "/usr/bin/qemu-system-x86_64 -name arcbox-ab12 -machine microvm,memory-backend=mem -accel tcg -cpu max"
                + " -m 512M -smp 2 -nodefaults -no-user-config -nographic -no-reboot"
                + " -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"
                + " -object memory-backend-file,id=mem,size=512M,mem-path=/dev/shm/arcbox/ab12.ram,share=on"
                + " -chardev socket,id=console,path=/run/abx/ab12/console.sock,server=on,wait=off -serial chardev:console"
                + " -qmp unix:/run/abx/ab12/qmp.sock,server=on,wait=off -pidfile /run/abx/ab12/qemu.pid"
                + " -kernel /img/vmlinux -initrd /img/initramfs.cpio"
                + " -append console=ttyS0 reboot=k panic=-1 quiet loglevel=3 mitigations=off cryptomgr.notests"
                + " i8042.noaux i8042.nokbd i8042.nopnp i8042.dumbkbd random.trust_cpu=on audit=0 no_timer_check"
                + " tsc_early_khz=2100000 tsc=reliable arcbox.port=arcbox.agent arcbox.hostname=box"
                + " -drive file=/img/rootfs.ext4,if=none,id=disk-root,format=raw,readonly=on,cache=writeback"
                + " -device virtio-blk-device,drive=disk-root,serial=abx-root"
                + " -drive file=/var/lib/abx/ab12/disk,,1.img,if=none,id=disk-rw,format=raw,readonly=off,cache=writeback"
                + " -device virtio-blk-device,drive=disk-rw,serial=abx-rw"
                + " -netdev tap,id=net-eth0,ifname=abxab12,script=no,downscript=no"
                + " -device virtio-net-device,netdev=net-eth0,mac=02:ab:00:00:00:02"
                + " -object rng-random,id=rng,filename=/dev/urandom -device virtio-rng-device,rng=rng"
                + " -device virtio-serial-device"
                + " -chardev socket,id=agent,path=/run/abx/ab12/agent.sock,server=on,wait=off"
                + " -device virtserialport,chardev=agent,name=arcbox.agent");
    }

    @Test
    void droppingToAUser_qemu72_usesRunas_andAllowsTheDropInTheFilter() {
        QemuArgs args = new QemuArgs(PLAN, Accelerator.TCG, 2_100_000, Path.of("/dev/shm/arcbox/ab12.ram"), true, false,
                "arcbox-vmm", QemuArgs.hasRunWithUser("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"));
        assertThat(String.join(" ", args.command(Path.of("qemu")))).contains(
                " -no-reboot -sandbox on,obsolete=deny,elevateprivileges=allow,spawn=deny,resourcecontrol=deny"
                + " -runas arcbox-vmm -object memory-backend-file,");
    }

    @Test
    void droppingToAUser_qemu91_usesRunWith() {
        QemuArgs args = new QemuArgs(PLAN, Accelerator.TCG, 2_100_000, Path.of("/r.ram"), true, false,
                "arcbox-vmm", QemuArgs.hasRunWithUser("9.1.0"));
        List<String> command = args.command(Path.of("qemu"));
        assertThat(command).containsSequence("-run-with", "user=arcbox-vmm").doesNotContain("-runas");
    }

    @Test
    void runWithUser_fromVersion() {
        assertThat(QemuArgs.hasRunWithUser("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)")).isFalse();
        assertThat(QemuArgs.hasRunWithUser("9.0.2")).isFalse();
        assertThat(QemuArgs.hasRunWithUser("9.1.0")).isTrue();
        assertThat(QemuArgs.hasRunWithUser("10.0.0 (Debian 1:10.0.0+ds-1)")).isTrue();
        assertThat(QemuArgs.hasRunWithUser("")).isFalse();
    }

    @Test
    void kvmRestore_usesHostCpu_privateMemory_andWaitsForIncoming() {
        QemuArgs args = new QemuArgs(PLAN, Accelerator.KVM, 2_100_000, Path.of("/snap/memory"), false, true);
        List<String> command = args.command(Path.of("qemu"));
        assertThat(command).containsSequence("-accel", "kvm", "-cpu", "host");
        assertThat(command).contains("memory-backend-file,id=mem,size=512M,mem-path=/snap/memory,share=off");
        assertThat(command).endsWith("-incoming", "defer");
        assertThat(args.kernelCommandLine()).doesNotContain("tsc_early_khz");
    }

    @Test
    void accelerator_parse_namesTheField() {
        assertThat(Accelerator.parse(null, "f")).isEqualTo(Accelerator.AUTO);
        assertThat(Accelerator.parse("TCG", "f")).isEqualTo(Accelerator.TCG);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Accelerator.parse("hvf", "qemu.accel"))
                .hasMessage("qemu.accel: unknown accelerator 'hvf' (expected auto, kvm or tcg)");
    }
}
