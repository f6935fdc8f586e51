package dev.arcbox.cli;

import dev.arcbox.api.v1.RunOutput;
import dev.arcbox.api.v1.RunRequest;
import java.io.PrintStream;

/**
 * One {@code sandbox run}: copies the command's stdout and stderr chunks, as raw bytes, to ours as
 * they arrive, and turns its exit message into our exit code (see {@link ExitCodes#ofRun}).
 */
final class RunSession {

    private final Arcbox arcbox;
    private Integer exitCode;

    RunSession(Arcbox arcbox) {
        this.arcbox = arcbox;
    }

    int run(Client client, RunRequest request) {
        if (!client.follow(arcbox.interrupts(), stub -> stub.run(request), this::accept)) {
            return ExitCodes.INTERRUPTED;
        }
        if (exitCode == null) {
            arcbox.err().println("arcbox: the run in sandbox '" + request.getId() + "' ended without an exit status");
            return ExitCodes.OTHER;
        }
        return exitCode;
    }

    private void accept(RunOutput output) {
        switch (output.getStream()) {
            case "stdout" -> copy(output, arcbox.out());
            case "stderr" -> copy(output, arcbox.err());
            case "exit" -> exitCode = ExitCodes.ofRun(output.getExitCode(), output.getSignal(), output.getTimedOut());
            default -> {
                // a stream a newer daemon added: not ours to print
            }
        }
        if (output.getDone() && exitCode == null) {
            exitCode = ExitCodes.ofRun(output.getExitCode(), output.getSignal(), output.getTimedOut());
        }
    }

    private static void copy(RunOutput output, PrintStream to) {
        to.writeBytes(output.getData().toByteArray());
        to.flush();
    }
}
