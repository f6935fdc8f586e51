package dev.arcbox.cli;

import dev.arcbox.api.v1.InfoRequest;
import dev.arcbox.api.v1.SystemInfo;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code arcbox system ...}: the daemon itself. */
@Command(name = "system", description = "Show the daemon's state.")
final class SystemCommands {

    @ParentCommand
    private Arcbox arcbox;

    @Command(name = "info", description = "Show the daemon's version, driver, capacity, snapshots and defaults.")
    int info(@Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                    description = "output format (default: table)") Output.Format format) {
        return arcbox.withClient(client -> {
            SystemInfo info = client.system().info(InfoRequest.getDefaultInstance());
            Output output = arcbox.output();
            switch (format) {
                case JSON -> output.json(info);
                case TABLE -> output.fields(fields(output, info));
            }
            return ExitCodes.OK;
        });
    }

    private static List<Output.Field> fields(Output output, SystemInfo i) {
        return List.of(
                new Output.Field("version", Output.orNone(i.getVersion())),
                new Output.Field("driver", Output.orNone(i.getDriver())),
                new Output.Field("accelerator", Output.orNone(i.getAccelerator())),
                new Output.Field("drivers", Output.pairs(i.getDriversMap())),
                new Output.Field("capabilities", i.getCapabilitiesList().isEmpty()
                        ? Output.NONE : String.join(",", i.getCapabilitiesList())),
                new Output.Field("sandboxes", i.getSandboxes() + " of at most " + i.getMaxSandboxes()),
                new Output.Field("by state", Output.pairs(i.getSandboxesByStateMap())),
                new Output.Field("snapshots", i.getSnapshots() + " (" + Output.bytes(i.getSnapshotBytes()) + ")"),
                new Output.Field("snapshot quota", i.getSnapshotQuotaBytes() == 0 ? Output.NONE
                        : Output.bytes(i.getSnapshotQuotaBytes())),
                new Output.Field("disks", Output.bytes(i.getDiskBytes()) + " allocated"),
                new Output.Field("console logs", Output.bytes(i.getConsoleLogBytes())),
                new Output.Field("data dir free", Output.bytes(i.getDataDirFreeBytes())),
                new Output.Field("cgroups", Output.orNone(i.getCgroupMode())
                        + (i.getCgroupNote().isEmpty() ? "" : " (" + i.getCgroupNote() + ")")),
                new Output.Field("host memory", i.getHostMemoryMib() + " MiB (" + i.getHostMemoryAvailableMib()
                        + " MiB available)"),
                new Output.Field("kernel", Output.orNone(i.getKernel())),
                new Output.Field("rootfs", Output.orNone(i.getRootfs())),
                new Output.Field("data dir", Output.orNone(i.getDataDir())),
                new Output.Field("started", output.when(i.getStartedAt())),
                new Output.Field("daemon rss", i.getDaemonRssKib() + " KiB"),
                new Output.Field("metrics", i.getMetricsAddress().isEmpty() ? Output.NONE
                        : "http://" + i.getMetricsAddress() + "/metrics"));
    }
}
