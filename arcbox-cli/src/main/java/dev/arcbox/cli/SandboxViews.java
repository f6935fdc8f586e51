package dev.arcbox.cli;

import dev.arcbox.api.v1.EgressSpec;
import dev.arcbox.api.v1.ListSandboxesResponse;
import dev.arcbox.api.v1.SandboxEvent;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.SandboxSummary;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/** How sandboxes and their events look on the terminal. */
final class SandboxViews {

    static final List<String> LIST_HEADER = List.of("ID", "STATE", "IP", "AGE", "LABELS");

    private SandboxViews() {}

    static void list(Output output, ListSandboxesResponse list, boolean quiet, Output.Format format) {
        if (quiet) {
            list.getSandboxesList().forEach(s -> output.line(s.getId()));
            return;
        }
        switch (format) {
            case JSON -> output.json(list);
            case TABLE -> output.table(LIST_HEADER, list.getSandboxesList().stream().map(s -> row(output, s)).toList());
        }
    }

    private static List<String> row(Output output, SandboxSummary s) {
        return List.of(s.getId(), Output.orNone(s.getState()), Output.orNone(s.getIpAddress()),
                output.age(s.getCreatedAt()), Output.pairs(s.getLabelsMap()));
    }

    static void info(Output output, SandboxInfo info, Output.Format format) {
        switch (format) {
            case JSON -> output.json(info);
            case TABLE -> output.fields(fields(output, info));
        }
    }

    private static List<Output.Field> fields(Output output, SandboxInfo i) {
        return List.of(
                new Output.Field("id", i.getId()),
                new Output.Field("state", Output.orNone(i.getState())),
                new Output.Field("error", Output.orNone(i.getError())),
                new Output.Field("labels", Output.pairs(i.getLabelsMap())),
                new Output.Field("vcpus", String.valueOf(i.getLimits().getVcpus())),
                new Output.Field("memory", i.getLimits().getMemoryMib() + " MiB"),
                new Output.Field("network", Output.orNone(i.getNetwork().getMode())),
                new Output.Field("ip", Output.orNone(i.getNetwork().getIpAddress())),
                new Output.Field("gateway", Output.orNone(i.getNetwork().getGateway())),
                new Output.Field("mac", Output.orNone(i.getNetwork().getMac())),
                new Output.Field("tap", Output.orNone(i.getNetwork().getTapName())),
                new Output.Field("forwards", forwards(i)),
                new Output.Field("egress", egress(i)),
                new Output.Field("created", output.when(i.getCreatedAt())),
                new Output.Field("ready", output.when(i.getReadyAt())),
                new Output.Field("boot", i.getBootMillis() == 0 ? Output.NONE : i.getBootMillis() + " ms"),
                new Output.Field("ttl deadline", output.when(i.getTtlDeadline())),
                new Output.Field("running executions", String.valueOf(i.getRunningExecutions())),
                new Output.Field("last exit code", i.getLastExitedAt() == 0 ? Output.NONE : String.valueOf(i.getLastExitCode())),
                new Output.Field("last exited", output.when(i.getLastExitedAt())),
                new Output.Field("driver", Output.orNone(i.getDriver())),
                new Output.Field("vmm pid", i.getVmmPid() == 0 ? Output.NONE : String.valueOf(i.getVmmPid())),
                new Output.Field("cgroup", Output.orNone(i.getCgroup())),
                new Output.Field("disk", i.getDiskSize() == 0 ? Output.NONE
                        : Output.bytes(i.getDiskBytes()) + " of " + Output.bytes(i.getDiskSize()) + " allocated"),
                new Output.Field("uid", Output.orNone(i.getUid())),
                new Output.Field("generation", String.valueOf(i.getGeneration())));
    }

    /** {@code HOST:PORT->GUEST,...}, or {@link Output#NONE}. */
    private static String forwards(SandboxInfo i) {
        return i.getPortForwardsCount() == 0 ? Output.NONE : i.getPortForwardsList().stream()
                .map(f -> Publish.hostPort(f) + "->" + f.getGuestPort())
                .collect(Collectors.joining(","));
    }

    /** {@code internet: yes|no, allow: CIDR,..., deny: CIDR,...}; unset is the daemon's default, internet allowed. */
    private static String egress(SandboxInfo i) {
        EgressSpec e = i.getEgress();
        return "internet: " + (e.getDenyInternet() ? "no" : "yes")
                + ", allow: " + (e.getAllowCidrsCount() == 0 ? Output.NONE : String.join(",", e.getAllowCidrsList()))
                + ", deny: " + (e.getDenyCidrsCount() == 0 ? Output.NONE : String.join(",", e.getDenyCidrsList()));
    }

    /** {@code sandbox port}: {@code GUEST/tcp -> HOST:PORT} lines (none when none), or a JSON array of forwards. */
    static void ports(Output output, SandboxInfo info, Output.Format format) {
        switch (format) {
            case JSON -> output.jsonArray(info.getPortForwardsList());
            case TABLE -> info.getPortForwardsList()
                    .forEach(f -> output.line(f.getGuestPort() + "/tcp -> " + Publish.hostPort(f)));
        }
    }

    /** {@code <time> <seq> <sandbox> <action> [k=v ...]}, time in UTC with nanoseconds as sent. */
    static void event(Output output, SandboxEvent e) {
        Instant at = Instant.ofEpochSecond(0, e.getTimestamp());
        StringBuilder line = new StringBuilder()
                .append(at).append(' ')
                .append(Long.toUnsignedString(e.getSeq())).append(' ')
                .append(Output.orNone(e.getSandboxId())).append(' ')
                .append(Output.orNone(e.getAction()));
        if (!e.getAttributesMap().isEmpty()) {
            line.append(' ').append(Output.pairs(e.getAttributesMap(), " "));
        }
        output.line(line.toString());
        output.flush();
    }
}
