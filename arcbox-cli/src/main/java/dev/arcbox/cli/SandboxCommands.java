package dev.arcbox.cli;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.CreateSandboxResponse;
import dev.arcbox.api.v1.EgressSpec;
import dev.arcbox.api.v1.InspectSandboxRequest;
import dev.arcbox.api.v1.ListSandboxesRequest;
import dev.arcbox.api.v1.ListSandboxesResponse;
import dev.arcbox.api.v1.LogsRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.PauseSandboxRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.ResumeSandboxRequest;
import dev.arcbox.api.v1.RunRequest;
import dev.arcbox.api.v1.SandboxEventsRequest;
import dev.arcbox.api.v1.SandboxInfo;
import dev.arcbox.api.v1.StartSandboxRequest;
import dev.arcbox.api.v1.StopSandboxRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code arcbox sandbox ...}: one method per subcommand, each one call to SandboxService. */
@Command(name = "sandbox",
        description = "Create, list, inspect, run commands in, pause, resume, stop, start and remove sandboxes;"
                + " show their forwarded ports and console logs; execute interactive processes and copy files.",
        subcommands = {ExecCommand.class, AttachCommand.class, ExecutionCommands.Ps.class, ExecutionCommands.Kill.class,
                CpCommand.class, FilesCommands.class})
final class SandboxCommands {

    /** The daemon's own default for {@code stop} when {@code --timeout} is 0. */
    private static final int DEFAULT_STOP_SECONDS = 30;

    @ParentCommand
    private Arcbox arcbox;

    @Spec
    private CommandSpec spec;

    Arcbox arcbox() {
        return arcbox;
    }

    @Command(name = "create", description = "Create a sandbox and boot it (unless --no-start); prints its id.")
    int create(
            @Option(names = "--id", paramLabel = "ID", description = "its id (default: generated)") String id,
            @Option(names = "--vcpus", paramLabel = "N", converter = Counts.Positive.class,
                    description = "virtual CPUs (default: the daemon's)") Integer vcpus,
            @Option(names = "--memory", paramLabel = "MIB", converter = Counts.Positive.class,
                    description = "memory in MiB (default: the daemon's)") Integer memoryMib,
            @Option(names = "--kernel", paramLabel = "PATH", description = "default: the daemon's") Path kernel,
            @Option(names = "--rootfs", paramLabel = "PATH", description = "default: the daemon's") Path rootfs,
            @Option(names = "--label", paramLabel = "K=V", converter = KeyValue.Converter.class,
                    description = "a label; repeatable") List<KeyValue> labels,
            @Option(names = "--env", paramLabel = "K=V", converter = KeyValue.Converter.class,
                    description = "default environment of every run; repeatable") List<KeyValue> env,
            @Option(names = "--ttl", paramLabel = "SECONDS", converter = Counts.NonNegative.class,
                    description = "remove it after this long (0: never)") Integer ttl,
            @Option(names = "--idle-timeout", paramLabel = "SECONDS", converter = Counts.NonNegative.class,
                    description = "pause (or stop) it after this long without runs (0: never)") Integer idleTimeout,
            @Option(names = "--idle-action", paramLabel = "pause|stop",
                    description = "what --idle-timeout does (default: pause); the next run wakes it") String idleAction,
            @Option(names = "--network", paramLabel = "tap|none", completionCandidates = Networks.class,
                    converter = Networks.class, description = "default: none (sandbox networking, mode tap, is not built yet)") String network,
            @Option(names = "--publish", paramLabel = "[HOSTADDR:]HOSTPORT:GUESTPORT", converter = Publish.Converter.class,
                    description = "forward a TCP port of the host to the sandbox; repeatable; needs --network tap")
            List<Publish> publish,
            @Option(names = "--publish-address", paramLabel = "ADDR",
                    description = "host address of each --publish HOSTPORT:GUESTPORT (not 0.0.0.0 nor loopback)")
            String publishAddress,
            @Option(names = "--no-internet", description = "deny the internet: only --allow-cidr is reachable")
            boolean noInternet,
            @Option(names = "--allow-cidr", paramLabel = "CIDR", converter = Publish.Cidr.class,
                    description = "allow egress to this network; repeatable") List<String> allowCidrs,
            @Option(names = "--deny-cidr", paramLabel = "CIDR", converter = Publish.Cidr.class,
                    description = "deny egress to this network; repeatable") List<String> denyCidrs,
            @Option(names = "--wait", description = "return once it is ready") boolean wait,
            @Option(names = "--no-start", description = "record it, do not boot it") boolean noStart) {
        boolean publishing = publish != null && !publish.isEmpty();
        boolean egress = noInternet || allowCidrs != null || denyCidrs != null;
        if ((publishing || egress || publishAddress != null) && !"tap".equals(network)) {
            throw usage("--publish, --publish-address, --no-internet, --allow-cidr and --deny-cidr need --network tap");
        }
        if (publishAddress != null && !publishing) {
            throw usage("--publish-address is only used with --publish");
        }
        if (publishAddress != null && publishAddress.isBlank()) {
            throw usage("--publish-address: empty address");
        }
        CreateSandboxRequest.Builder request = CreateSandboxRequest.newBuilder()
                .putAllLabels(KeyValue.toMap(labels))
                .putAllEnv(KeyValue.toMap(env))
                .setWait(wait)
                .setNoStart(noStart);
        if (id != null) {
            request.setId(id);
        }
        if (vcpus != null || memoryMib != null) {
            ResourceLimits.Builder limits = request.getLimitsBuilder();
            if (vcpus != null) {
                limits.setVcpus(vcpus);
            }
            if (memoryMib != null) {
                limits.setMemoryMib(memoryMib);
            }
        }
        if (kernel != null) {
            request.setKernel(kernel.toAbsolutePath().toString());
        }
        if (rootfs != null) {
            request.setRootfs(rootfs.toAbsolutePath().toString());
        }
        if (ttl != null) {
            request.setTtlSeconds(ttl);
        }
        if (idleTimeout != null) {
            request.setIdleTimeoutSeconds(idleTimeout);
        }
        if (idleAction != null) {
            request.setIdleAction(idleAction);
        }
        if (network != null) {
            request.setNetwork(NetworkSpec.newBuilder().setMode(network));
        }
        if (publishing) {
            for (Publish p : publish) {
                if (p.hostAddress() == null && publishAddress == null) {
                    throw usage("--publish " + p.hostPort() + ":" + p.guestPort()
                            + " names no host address: give HOSTADDR:HOSTPORT:GUESTPORT or --publish-address"
                            + " (the daemon refuses 0.0.0.0 and loopback)");
                }
                request.addPortForwards(p.toProto(publishAddress));
            }
        }
        if (egress) {
            request.setEgress(EgressSpec.newBuilder()
                    .setDenyInternet(noInternet)
                    .addAllAllowCidrs(allowCidrs == null ? List.of() : allowCidrs)
                    .addAllDenyCidrs(denyCidrs == null ? List.of() : denyCidrs));
        }
        Duration deadline = wait ? Client.WAIT_DEADLINE : Client.UNARY_DEADLINE;
        return arcbox.withClient(client -> {
            CreateSandboxResponse created = client.sandboxes(deadline).create(request.build());
            arcbox.output().line(created.getId());
            return ExitCodes.OK;
        });
    }

    @Command(name = "ls", description = "List sandboxes.")
    int list(
            @Option(names = "--state", paramLabel = "S", description = "only those in this state") String state,
            @Option(names = "--label", paramLabel = "K=V", converter = KeyValue.Converter.class,
                    description = "only those with this label (all must match)") List<KeyValue> labels,
            @Option(names = "-q", description = "print only the ids") boolean quiet,
            @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                    description = "output format (default: table)") Output.Format format) {
        ListSandboxesRequest.Builder request = ListSandboxesRequest.newBuilder().putAllLabels(KeyValue.toMap(labels));
        if (state != null) {
            request.setState(state);
        }
        return arcbox.withClient(client -> {
            ListSandboxesResponse list = client.sandboxes(Client.UNARY_DEADLINE).list(request.build());
            SandboxViews.list(arcbox.output(), list, quiet, format);
            return ExitCodes.OK;
        });
    }

    @Command(name = "inspect", description = "Show one sandbox.")
    int inspect(
            @Parameters(paramLabel = "ID") String id,
            @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                    description = "output format (default: table)") Output.Format format) {
        return arcbox.withClient(client -> {
            SandboxInfo info = client.sandboxes(Client.UNARY_DEADLINE)
                    .inspect(InspectSandboxRequest.newBuilder().setId(id).build());
            SandboxViews.info(arcbox.output(), info, format);
            return ExitCodes.OK;
        });
    }

    @Command(name = "port", description = {
            "Show a sandbox's forwarded ports, one a line: GUESTPORT/tcp -> HOSTADDR:HOSTPORT."})
    int port(
            @Parameters(paramLabel = "ID") String id,
            @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                    description = "output format (default: table)") Output.Format format) {
        return arcbox.withClient(client -> {
            SandboxInfo info = client.sandboxes(Client.UNARY_DEADLINE)
                    .inspect(InspectSandboxRequest.newBuilder().setId(id).build());
            SandboxViews.ports(arcbox.output(), info, format);
            return ExitCodes.OK;
        });
    }

    /** A usage error (exit 2) of {@code sandbox create}, before anything is sent. */
    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine().getSubcommands().get("create"), message);
    }

    @Command(name = "run", description = {
            "Run a command in a sandbox; exits with its exit code.",
            "Its stdout and stderr go to ours, as they arrive. Ctrl-C detaches: the command",
            "keeps running unless --kill-on-disconnect is given. Put -- before CMD."})
    int run(
            @Parameters(index = "0", paramLabel = "ID", description = "the sandbox") String id,
            @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "the command and its arguments")
            List<String> cmd,
            @Option(names = "--env", paramLabel = "K=V", converter = KeyValue.Converter.class,
                    description = "an environment variable; repeatable") List<KeyValue> env,
            @Option(names = "--workdir", paramLabel = "DIR", description = "working directory in the sandbox")
            String workdir,
            @Option(names = "--timeout", paramLabel = "SECONDS", converter = Counts.NonNegative.class,
                    description = "kill it after this long (0: no limit)") Integer timeout,
            @Option(names = "--kill-on-disconnect", description = "kill it if arcbox goes away (e.g. Ctrl-C)")
            boolean killOnDisconnect) {
        RunRequest.Builder request = RunRequest.newBuilder()
                .setId(id)
                .addAllCmd(cmd)
                .putAllEnv(KeyValue.toMap(env))
                .setKillOnDisconnect(killOnDisconnect);
        if (workdir != null) {
            request.setWorkingDir(workdir);
        }
        if (timeout != null) {
            request.setTimeoutSeconds(timeout);
        }
        return arcbox.withClient(client -> new RunSession(arcbox).run(client, request.build()));
    }

    @Command(name = "stop", description = "Stop a sandbox's VM; keeps its disk and address.")
    int stop(
            @Parameters(paramLabel = "ID") String id,
            @Option(names = "--timeout", paramLabel = "SECONDS", converter = Counts.NonNegative.class,
                    description = "graceful stop before killing it (default: 30)") Integer timeout) {
        int seconds = timeout == null || timeout == 0 ? DEFAULT_STOP_SECONDS : timeout;
        StopSandboxRequest request = StopSandboxRequest.newBuilder()
                .setId(id)
                .setTimeoutSeconds(timeout == null ? 0 : timeout)
                .build();
        Duration deadline = Client.UNARY_DEADLINE.plusSeconds(seconds);
        return printId(deadline, stub -> stub.stop(request));
    }

    @Command(name = "start", description = "Boot a stopped sandbox again.")
    int start(
            @Parameters(paramLabel = "ID") String id,
            @Option(names = "--wait", description = "return once it is ready") boolean wait) {
        StartSandboxRequest request = StartSandboxRequest.newBuilder().setId(id).setWait(wait).build();
        Duration deadline = wait ? Client.WAIT_DEADLINE : Client.UNARY_DEADLINE;
        return printId(deadline, stub -> stub.start(request));
    }

    @Command(name = "pause", description = "Pause a ready sandbox's vCPUs; run is refused until it is resumed.")
    int pause(@Parameters(paramLabel = "ID") String id) {
        PauseSandboxRequest request = PauseSandboxRequest.newBuilder().setId(id).build();
        return printId(Client.UNARY_DEADLINE, stub -> stub.pause(request));
    }

    @Command(name = "resume", description = "Resume a paused sandbox.")
    int resume(@Parameters(paramLabel = "ID") String id) {
        ResumeSandboxRequest request = ResumeSandboxRequest.newBuilder().setId(id).build();
        return printId(Client.UNARY_DEADLINE, stub -> stub.resume(request));
    }

    /** Runs one sandbox call that answers a SandboxInfo and prints the sandbox's id. */
    private int printId(Duration deadline,
            java.util.function.Function<dev.arcbox.api.v1.SandboxServiceGrpc.SandboxServiceBlockingStub, SandboxInfo> call) {
        return arcbox.withClient(client -> {
            arcbox.output().line(call.apply(client.sandboxes(deadline)).getId());
            return ExitCodes.OK;
        });
    }

    @Command(name = "rm", description = "Remove a sandbox: its VM, disk and address.")
    int remove(
            @Option(names = {"-f", "--force"}, description = "also when commands are running in it") boolean force,
            @Parameters(paramLabel = "ID") String id) {
        RemoveSandboxRequest request = RemoveSandboxRequest.newBuilder().setId(id).setForce(force).build();
        return arcbox.withClient(client -> {
            client.sandboxes(Client.UNARY_DEADLINE).remove(request);
            arcbox.output().line(id);
            return ExitCodes.OK;
        });
    }

    @Command(name = "logs", description = {
            "Print a sandbox's serial console log (what the daemon retained: it is rotated at a cap).",
            "Raw bytes to stdout; with -f, new output as it comes until interrupted or the sandbox is removed."})
    int logs(
            @Parameters(paramLabel = "ID", description = "the sandbox") String id,
            @Option(names = {"-f", "--follow"}, description = "keep printing new output") boolean follow,
            @Option(names = "--tail", paramLabel = "BYTES", converter = Counts.Sequence.class,
                    description = "only the last BYTES retained (default: all)") Long tail) {
        LogsRequest request = LogsRequest.newBuilder().setId(id).setFollow(follow)
                .setTailBytes(tail == null ? 0 : tail).build();
        return arcbox.withClient(client -> client.follow(arcbox.interrupts(), stub -> stub.logs(request), chunk -> {
            if (chunk.getLostBytes() > 0 && follow) {
                arcbox.err().println("arcbox: " + chunk.getLostBytes() + " bytes of console output were rotated away");
            }
            arcbox.out().writeBytes(chunk.getData().toByteArray());
            arcbox.out().flush();
        }) ? ExitCodes.OK : ExitCodes.INTERRUPTED);
    }

    @Command(name = "events", description = "Print lifecycle events, one a line, until interrupted.")
    int events(
            @Option(names = "--id", paramLabel = "ID", description = "only this sandbox's") String id,
            @Option(names = "--action", paramLabel = "A", description = "only this action") String action,
            @Option(names = "--from", paramLabel = "SEQ", converter = Counts.Sequence.class,
                    description = "replay from this sequence number (default: only new events)") Long from) {
        SandboxEventsRequest.Builder request = SandboxEventsRequest.newBuilder();
        if (id != null) {
            request.setId(id);
        }
        if (action != null) {
            request.setAction(action);
        }
        if (from != null) {
            request.setFromSeq(from);
        }
        Output output = arcbox.output();
        return arcbox.withClient(client ->
                client.follow(arcbox.interrupts(), stub -> stub.events(request.build()), e -> SandboxViews.event(output, e))
                        ? ExitCodes.OK
                        : ExitCodes.INTERRUPTED);
    }
}
