package dev.arcbox.core.sandbox;

import dev.arcbox.core.ArcboxException;

/**
 * Every operation on an existing sandbox. Which ones each state allows is decided exhaustively in
 * {@link #check}: a new command does not compile until every state has said yes or no.
 */
public enum SandboxCommand {
    START,
    STOP,
    REMOVE,
    REMOVE_FORCED,
    RUN,
    UPDATE,
    PAUSE,
    RESUME,
    CHECKPOINT;

    /** Whether {@code state} allows this command. */
    public boolean allowedIn(SandboxState state) {
        return switch (state) {
            case STARTING -> switch (this) {
                case REMOVE_FORCED, UPDATE -> true;
                case START, STOP, REMOVE, RUN, PAUSE, RESUME, CHECKPOINT -> false;
            };
            case READY -> switch (this) {
                case STOP, REMOVE, REMOVE_FORCED, RUN, UPDATE, PAUSE, CHECKPOINT -> true;
                case START, RESUME -> false;
            };
            case PAUSED -> switch (this) {
                case STOP, REMOVE_FORCED, UPDATE, RESUME, CHECKPOINT -> true;
                case START, REMOVE, RUN, PAUSE -> false;
            };
            case STOPPING -> switch (this) {
                case REMOVE_FORCED, UPDATE -> true;
                case START, STOP, REMOVE, RUN, PAUSE, RESUME, CHECKPOINT -> false;
            };
            case STOPPED -> switch (this) {
                case START, REMOVE, REMOVE_FORCED, UPDATE -> true;
                case STOP, RUN, PAUSE, RESUME, CHECKPOINT -> false;
            };
            case FAILED -> switch (this) {
                case REMOVE, REMOVE_FORCED, UPDATE -> true;
                case START, STOP, RUN, PAUSE, RESUME, CHECKPOINT -> false;
            };
        };
    }

    /** Throws FailedPrecondition naming the sandbox and its state unless allowed. */
    public void check(String sandboxId, SandboxState state) {
        if (!allowedIn(state)) {
            throw new ArcboxException.FailedPrecondition("cannot " + verb() + " sandbox '" + sandboxId
                    + "': it is " + state.label());
        }
    }

    private String verb() {
        return switch (this) {
            case START -> "start";
            case STOP -> "stop";
            case REMOVE, REMOVE_FORCED -> "remove";
            case RUN -> "run a command in";
            case UPDATE -> "update";
            case PAUSE -> "pause";
            case RESUME -> "resume";
            case CHECKPOINT -> "checkpoint";
        };
    }
}
