package dev.arcbox.cli;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The process exit codes of {@code arcbox}: the one table mapping a gRPC status to an exit code,
 * plus the codes of {@code sandbox run}. The {@code --help} footer is generated from it.
 */
final class ExitCodes {

    static final int OK = 0;
    static final int OTHER = 1;
    /** A bad argument: picocli usage errors, malformed {@code K=V}, or INVALID_ARGUMENT. */
    static final int USAGE = 2;
    /** {@code sandbox run}: the command ran past its {@code --timeout} (as coreutils' timeout). */
    static final int RUN_TIMED_OUT = 124;
    /** {@code sandbox run}: the command died of signal N; the exit code is 128 + N. */
    static final int SIGNAL_BASE = 128;
    /** The user interrupted {@code arcbox} (SIGINT). */
    static final int INTERRUPTED = SIGNAL_BASE + 2;

    private ExitCodes() {}

    /** The exit code for a call that ended with {@code code}. */
    static int of(Status.Code code) {
        return switch (code) {
            case OK -> OK;
            case INVALID_ARGUMENT -> USAGE;
            case NOT_FOUND -> 3;
            case ALREADY_EXISTS -> 4;
            case FAILED_PRECONDITION -> 5;
            case RESOURCE_EXHAUSTED -> 6;
            case DEADLINE_EXCEEDED -> 7;
            case UNAVAILABLE -> 8;
            case PERMISSION_DENIED, UNAUTHENTICATED -> 9;
            case CANCELLED, UNKNOWN, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, DATA_LOSS -> OTHER;
        };
    }

    /** The exit code of {@code sandbox run} for the command's final status. */
    static int ofRun(int exitCode, int signal, boolean timedOut) {
        if (timedOut) {
            return RUN_TIMED_OUT;
        }
        return signal > 0 ? SIGNAL_BASE + signal : exitCode;
    }

    /** The help footer: every exit code with the statuses that produce it. */
    static String helpFooter() {
        Map<Integer, List<String>> byCode = new TreeMap<>();
        for (Status.Code code : Status.Code.values()) {
            int exit = of(code);
            if (exit != OTHER) {
                byCode.computeIfAbsent(exit, k -> new ArrayList<>()).add(code.name());
            }
        }
        byCode.get(USAGE).add("usage error");
        byCode.get(of(Status.Code.UNAVAILABLE)).add("arcboxd not reachable");
        byCode.put(OTHER, List.of("any other error"));
        StringBuilder sb = new StringBuilder("%nExit codes:%n");
        byCode.forEach((exit, causes) -> sb.append(String.format("  %-4d%s%%n", exit, String.join(", ", causes))));
        sb.append("sandbox run: the command's exit code; ").append(SIGNAL_BASE).append("+N if it died of signal N;%n")
                .append("  ").append(RUN_TIMED_OUT).append(" if it ran past --timeout; ")
                .append(INTERRUPTED).append(" after Ctrl-C.");
        return sb.toString();
    }
}
