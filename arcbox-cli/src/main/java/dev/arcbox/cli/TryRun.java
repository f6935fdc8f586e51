package dev.arcbox.cli;

import dev.arcbox.core.agent.AgentClient;
import dev.arcbox.core.agent.AgentHello;
import dev.arcbox.core.agent.ExecRequest;
import dev.arcbox.core.agent.ExecResult;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.RunningVm;
import dev.arcbox.core.driver.StopResult;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.image.GuestImage;
import dev.arcbox.core.image.ScratchDisk;
import dev.arcbox.driver.qemu.QemuConfig;
import dev.arcbox.driver.qemu.QemuDriver;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code arcbox-try IMAGES_DIR [CMD ARG...]}: boots one microVM from the guest assets, runs a
 * command in it through the guest agent, prints its output and the timings, stops the VM and
 * removes everything it made. No network interface is attached.
 */
public final class TryRun {

    private TryRun() {}

    public static void main(String[] args) throws IOException {
        PrintStream out = System.out;
        if (args.length < 1) {
            System.err.println("usage: arcbox-try IMAGES_DIR [CMD ARG...]");
            System.exit(2);
        }
        GuestImage image = GuestImage.load(Path.of(args[0]));
        List<String> command = args.length > 1 ? Arrays.asList(args).subList(1, args.length) : List.of("uname", "-a");
        String id = "try" + HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
        Path dir = Files.createDirectories(Path.of("/tmp/arcbox-" + id));
        int exit = 1;
        try {
            Path disk = dir.resolve("rw.img");
            ScratchDisk.create(disk, 1L << 30);
            VmPlan plan = new VmPlan(id, dir.resolve("run"), dir.resolve("console.log"), MachinePlan.of(1, 256),
                    image.kernel(), image.initrd(), "arcbox.hostname=" + id,
                    List.of(DiskPlan.root(image.rootfs()), DiskPlan.writable(disk)), List.of(),
                    VmPlan.DEFAULT_AGENT_PORT, image.hashes());
            QemuDriver driver = new QemuDriver(QemuConfig.defaults().withRamDir(Path.of("/dev/shm/arcbox-" + id)));
            out.printf("booting microVM %s (kernel %s, %s)%n", id, image.kernelVersion(),
                    driver.capabilities().contains(dev.arcbox.core.driver.Capability.HARDWARE_ACCELERATION)
                            ? "KVM" : "software CPU (TCG)");
            long t0 = System.nanoTime();
            RunningVm vm = driver.boot(plan);
            try {
                AgentClient agent = vm.agent(Duration.ofSeconds(120));
                long ready = System.nanoTime();
                AgentHello hello = agent.hello();
                out.printf("agent ready after %.2f s (guest: /init at %.2f s, agent serving at %.2f s of uptime)%n",
                        (ready - t0) / 1e9, hello.bootInitNanos() / 1e9, hello.bootReadyNanos() / 1e9);
                out.printf("$ %s%n", String.join(" ", command));
                long e0 = System.nanoTime();
                ExecResult result = agent.exec(new ExecRequest(command, java.util.Map.of(), null, null, false, ExecRequest.DEFAULT_WINDOW),
                                Duration.ofSeconds(60))
                        .collect(Duration.ofMinutes(10), 16 << 20);
                long e1 = System.nanoTime();
                out.write(result.stdout());
                System.err.write(result.stderr());
                out.printf("(exit %s in %.1f ms)%n", result.status().exitCode() != null
                        ? result.status().exitCode() : "signal " + result.status().signal(), (e1 - e0) / 1e6);
                exit = result.status().exitCode() == null ? 1 : result.status().exitCode();
            } finally {
                StopResult stop = vm.stop(Duration.ofSeconds(15));
                out.printf("stopped (%s) in %.2f s%n", stop.how().name().toLowerCase(java.util.Locale.ROOT),
                        stop.took().toNanos() / 1e9);
            }
        } finally {
            FileTree.delete(dir);
            FileTree.delete(Path.of("/dev/shm/arcbox-" + id));
        }
        System.exit(exit);
    }
}
