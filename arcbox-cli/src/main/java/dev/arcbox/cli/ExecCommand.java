package dev.arcbox.cli;

import dev.arcbox.client.Command;
import dev.arcbox.client.Execution;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code arcbox sandbox exec}: a process in a sandbox, attached to our terminal (or detached). */
@CommandLine.Command(name = "exec", description = {
        "Execute a command in a sandbox; exits with its exit code (128+N if it died of signal N).",
        "-i forwards our stdin; -t gives it a terminal: ours goes raw (Ctrl-C reaches it as a key)",
        "and window-size changes follow. Without -t, Ctrl-C sends it SIGINT. Options come before ID;",
        "everything after ID (an optional -- first) is the command."})
final class ExecCommand implements Callable<Integer> {

    @ParentCommand
    private SandboxCommands sandboxes;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-i", "--interactive"}, description = "forward our stdin to it")
    boolean interactive;

    @Option(names = {"-t", "--tty"}, description = "give it a terminal (needs one here)")
    boolean tty;

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", converter = KeyValue.Converter.class,
            description = "an environment variable; repeatable")
    List<KeyValue> env;

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "working directory (default: the user's home)")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "a user name of the guest, or UID[:GID] (default: root)")
    String user;

    @Option(names = "--timeout", paramLabel = "SECONDS", converter = Counts.NonNegative.class,
            description = "kill it after this long (0: no limit)")
    Integer timeout;

    @Option(names = {"-d", "--detach"}, description = "start it, print its execution id and leave it running")
    boolean detach;

    @Option(names = "--kill-on-disconnect", description = "kill it if arcbox goes away before it exits")
    boolean killOnDisconnect;

    @Parameters(index = "0", paramLabel = "ID", description = "the sandbox")
    String id;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "the command and its arguments")
    List<String> cmd;

    /** Everything after ID is the command, options included: {@code exec -it ID sh -c 'x'}. */
    static void configure(CommandLine root) {
        root.getSubcommands().get("sandbox").getSubcommands().get("exec").setStopAtPositional(true);
    }

    @Override
    public Integer call() throws Exception {
        Arcbox arcbox = sandboxes.arcbox();
        List<String> argv = !cmd.isEmpty() && cmd.getFirst().equals("--") ? cmd.subList(1, cmd.size()) : cmd;
        if (argv.isEmpty()) {
            throw usage("missing CMD after --");
        }
        if (detach && (interactive || tty)) {
            throw usage("--detach cannot be combined with -i or -t");
        }
        if (tty && !arcbox.terminal().isTerminal()) {
            throw usage("-t needs a terminal: stdin and stdout are not both one");
        }
        Command command = Command.of(argv).withEnv(KeyValue.toMap(env));
        if (workdir != null) {
            command = command.withWorkingDir(workdir);
        }
        if (user != null) {
            command = command.withUser(user);
        }
        if (timeout != null) {
            command = command.withTimeout(Duration.ofSeconds(timeout));
        }
        if (interactive) {
            command = command.withStdin();
        }
        if (tty) {
            command = command.withTty(0, 0);
        }
        if (killOnDisconnect) {
            command = command.withKillOnDisconnect();
        }
        Command toRun = command;
        return arcbox.withClient(client -> {
            var sandbox = client.library().sandbox(id);
            if (detach) {
                try (Execution e = sandbox.exec(toRun, ExecSession.listener(arcbox.out(), arcbox.err()))) {
                    arcbox.output().line(Integer.toString(e.id()));
                    return ExitCodes.OK;
                }
            }
            try {
                return new ExecSession(arcbox).run(sandbox, toRun, interactive);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("opening the terminal", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCodes.INTERRUPTED;
            }
        });
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
