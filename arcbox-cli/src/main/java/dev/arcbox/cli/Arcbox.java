package dev.arcbox.cli;

import dev.arcbox.client.ArcboxClientException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code arcbox}: the command line client of arcboxd. Holds what every command shares: the
 * daemon's socket, the standard streams, the clock, and the error-to-exit-code policy.
 */
@Command(name = "arcbox", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = Arcbox.Version.class, sortOptions = false,
        description = "Command line client of arcboxd, the arcbox sandbox daemon.",
        subcommands = {SandboxCommands.class, SnapshotCommands.class, SystemCommands.class})
public final class Arcbox {

    static final String SOCKET_ENV = "ARCBOX_SOCKET";
    static final Path DEFAULT_SOCKET = Path.of("/run/arcbox/arcbox.sock");

    @Option(names = "--socket", paramLabel = "PATH", scope = ScopeType.INHERIT,
            description = "arcboxd's socket (default: $" + SOCKET_ENV + ", else /run/arcbox/arcbox.sock)")
    private Path socketOption;

    @Spec
    private CommandSpec spec;

    private final Map<String, String> env;
    private final PrintStream out;
    private final PrintStream err;
    private final Clock clock;
    private final Interrupts interrupts;
    private final InputStream in;
    private final LocalTerminal terminal;

    public Arcbox(Map<String, String> env, PrintStream out, PrintStream err, Clock clock, Interrupts interrupts) {
        this(env, InputStream.nullInputStream(), out, err, clock, interrupts, LocalTerminal.NONE);
    }

    /** With standard input and the user's terminal, for exec and cp. */
    public Arcbox(Map<String, String> env, InputStream in, PrintStream out, PrintStream err, Clock clock,
            Interrupts interrupts, LocalTerminal terminal) {
        this.env = Map.copyOf(env);
        this.in = in;
        this.out = out;
        this.err = err;
        this.clock = clock;
        this.interrupts = interrupts;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        Arcbox arcbox = new Arcbox(System.getenv(), System.in, System.out, System.err, Clock.systemUTC(),
                Interrupts.jvmShutdown(), new JLineTerminal());
        System.exit(commandLine(arcbox).execute(args));
    }

    /** The configured command line: our streams, one-line errors, the exit-code footer. */
    public static CommandLine commandLine(Arcbox arcbox) {
        CommandLine cl = new CommandLine(arcbox);
        cl.setOut(new PrintWriter(new OutputStreamWriter(arcbox.out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(arcbox.err, StandardCharsets.UTF_8), true));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(Arcbox::usageError);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("arcbox: " + oneLine(String.valueOf(e)));
            return ExitCodes.OTHER;
        });
        addFooter(cl, ExitCodes.helpFooter());
        ExecCommand.configure(cl);
        return cl;
    }

    @Command(name = "completion", description = "Print a bash completion script: source <(arcbox completion)")
    int completion() {
        out.print(AutoComplete.bash("arcbox", spec.commandLine()));
        out.flush();
        return ExitCodes.OK;
    }

    /** {@code --socket}, else {@code $ARCBOX_SOCKET}, else the default. */
    Path socket() {
        if (socketOption != null) {
            return socketOption;
        }
        String fromEnv = env.get(SOCKET_ENV);
        return fromEnv == null || fromEnv.isBlank() ? DEFAULT_SOCKET : Path.of(fromEnv);
    }

    Output output() {
        return new Output(out, clock);
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    Interrupts interrupts() {
        return interrupts;
    }

    InputStream in() {
        return in;
    }

    LocalTerminal terminal() {
        return terminal;
    }

    /** What a command does with the daemon; returns the exit code. */
    @FunctionalInterface
    interface Action {
        int run(Client client);
    }

    /** Runs {@code action} on a fresh channel, turning a failed call into one line and its exit code. */
    int withClient(Action action) {
        try (Client client = Client.connect(socket())) {
            try {
                return action.run(client);
            } catch (StatusRuntimeException e) {
                return fail(e.getStatus(), client);
            } catch (ArcboxClientException e) {
                return fail(e.getCause() instanceof StatusRuntimeException s ? s.getStatus()
                        : e.code().toStatus().withDescription(e.getMessage()), client);
            }
        }
    }

    private int fail(Status status, Client client) {
        Duration timeout = client.expiredTimeout();
        // A status with a cause was made here, by the transport; the daemon's never carry one.
        String what = status.getCode() == Status.Code.UNAVAILABLE && status.getCause() != null
                ? "cannot reach arcboxd at " + client.socket() + ": is it running?"
                : status.getCode() == Status.Code.DEADLINE_EXCEEDED && timeout != null
                ? "arcboxd did not answer within " + Output.span(timeout)
                : status.getDescription() != null ? status.getDescription()
                : status.getCode().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        err.println("arcbox: " + oneLine(what) + " (" + status.getCode() + ")");
        err.flush();
        return ExitCodes.of(status.getCode());
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        String message = e.getMessage();
        message = message.isEmpty() ? message : Character.toLowerCase(message.charAt(0)) + message.substring(1);
        cmd.getErr().println("arcbox: " + oneLine(message)
                + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        return ExitCodes.USAGE;
    }

    private static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    private static void addFooter(CommandLine cl, String footer) {
        cl.getCommandSpec().usageMessage().footer(footer);
        cl.getSubcommands().values().forEach(sub -> addFooter(sub, footer));
    }

    /** The version from the jar's manifest. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Arcbox.class.getPackage().getImplementationVersion();
            return new String[] {"arcbox " + (v == null ? "(development build)" : v)};
        }
    }
}
