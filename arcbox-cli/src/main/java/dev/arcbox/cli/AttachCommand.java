package dev.arcbox.cli;

import dev.arcbox.client.ArcboxClientException;
import dev.arcbox.client.Execution;
import dev.arcbox.client.ExitStatus;
import dev.arcbox.client.OutputListener;
import io.grpc.Status;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code arcbox sandbox attach}: follows an execution's output again, from what the guest still holds. */
@Command(name = "attach", description = {
        "Re-attach to an execution: its output from the start (as far as the guest still holds it),",
        "then new output until it exits; exits with its exit code. Ctrl-C detaches again."})
final class AttachCommand implements Callable<Integer> {

    @ParentCommand
    private SandboxCommands sandboxes;

    @Parameters(index = "0", paramLabel = "ID", description = "the sandbox")
    String id;

    @Parameters(index = "1", paramLabel = "EXEC_ID", description = "the execution (see 'sandbox ps')")
    int executionId;

    @Override
    public Integer call() {
        Arcbox arcbox = sandboxes.arcbox();
        OutputListener print = ExecSession.listener(arcbox.out(), arcbox.err());
        OutputListener listener = new OutputListener() {
            @Override
            public void stdout(byte[] data) {
                print.stdout(data);
            }

            @Override
            public void stderr(byte[] data) {
                print.stderr(data);
            }

            @Override
            public void lost(String stream, long bytes) {
                arcbox.err().println("arcbox: " + bytes + " bytes of " + stream + " are no longer held by the guest");
            }
        };
        AtomicBoolean detached = new AtomicBoolean();
        return arcbox.withClient(client -> {
            try (Execution e = client.library().sandbox(id).attach(executionId, listener);
                    Interrupts.Registration _ = arcbox.terminal().onEachInterrupt(() -> {
                        detached.set(true);
                        e.detach();
                    })) {
                ExitStatus exit = e.exit().get();
                return ExitCodes.ofRun(exit.exitCode(), exit.signal(), exit.timedOut());
            } catch (ExecutionException x) {
                if (detached.get() && x.getCause() instanceof ArcboxClientException c && c.code() == Status.Code.CANCELLED) {
                    return ExitCodes.INTERRUPTED;
                }
                throw (RuntimeException) x.getCause();
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                return ExitCodes.INTERRUPTED;
            }
        });
    }
}
