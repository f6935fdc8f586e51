package dev.arcbox.cli;

import dev.arcbox.api.v1.ExecutionInfo;
import dev.arcbox.api.v1.ListExecutionsResponse;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code arcbox sandbox ps} and {@code arcbox sandbox kill}: the executions a guest holds. */
final class ExecutionCommands {

    private ExecutionCommands() {}

    @Command(name = "ps", description = "List the executions of a sandbox: running, and finished ones the guest still holds.")
    static final class Ps implements Callable<Integer> {
        @ParentCommand
        private SandboxCommands sandboxes;

        @Parameters(paramLabel = "ID", description = "the sandbox")
        String id;

        @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                description = "output format (default: table)")
        Output.Format format;

        @Override
        public Integer call() {
            Arcbox arcbox = sandboxes.arcbox();
            return arcbox.withClient(client -> {
                List<ExecutionInfo> all = client.library().sandbox(id).executions();
                Output out = arcbox.output();
                if (format == Output.Format.JSON) {
                    out.json(ListExecutionsResponse.newBuilder().addAllExecutions(all));
                    return ExitCodes.OK;
                }
                out.table(List.of("EXEC_ID", "PID", "STATE", "TTY", "STARTED", "COMMAND"), all.stream()
                        .map(e -> List.of(Integer.toString(e.getExecutionId()), Integer.toString(e.getPid()),
                                state(e), e.getTty() ? "yes" : "no", out.age(e.getStartedAt()),
                                String.join(" ", e.getCmdList())))
                        .toList());
                return ExitCodes.OK;
            });
        }

        private static String state(ExecutionInfo e) {
            if (e.getRunning()) {
                return e.getAttached() ? "running, attached" : "running";
            }
            if (!e.hasExit()) {
                return "exited";
            }
            return e.getExit().getTimedOut() ? "timed out"
                    : e.getExit().getSignal() > 0 ? "killed (signal " + e.getExit().getSignal() + ")"
                    : "exited (" + e.getExit().getExitCode() + ")";
        }
    }

    @Command(name = "kill", description = "Send a signal (default TERM) to an execution's process group.")
    static final class Kill implements Callable<Integer> {
        @ParentCommand
        private SandboxCommands sandboxes;

        @Parameters(index = "0", paramLabel = "ID", description = "the sandbox")
        String id;

        @Parameters(index = "1", paramLabel = "EXEC_ID", description = "the execution (see 'sandbox ps')")
        int executionId;

        @Option(names = {"-s", "--signal"}, paramLabel = "SIG", defaultValue = "TERM", converter = SignalNames.Converter.class,
                description = "a name (TERM, KILL, INT, HUP, …) or a number 1..64 (default: TERM)")
        int signal;

        @Override
        public Integer call() {
            Arcbox arcbox = sandboxes.arcbox();
            return arcbox.withClient(client -> {
                client.library().sandbox(id).signal(executionId, signal);
                return ExitCodes.OK;
            });
        }
    }
}
