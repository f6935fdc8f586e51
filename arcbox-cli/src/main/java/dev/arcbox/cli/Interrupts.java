package dev.arcbox.cli;

/**
 * Where a long call (run, events) learns that the user pressed Ctrl-C. The JVM turns SIGINT into
 * its shutdown, so production registers a shutdown hook; tests trigger the action themselves.
 */
@FunctionalInterface
public interface Interrupts {

    /**
     * Runs {@code action} once if the user interrupts before the returned registration is closed.
     * The action runs on another thread, concurrently with the caller.
     */
    Registration onInterrupt(Runnable action);

    /** Closing it withdraws the action; idempotent. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** SIGINT (and SIGTERM): the JVM runs the action as a shutdown hook before it exits. */
    static Interrupts jvmShutdown() {
        return action -> {
            Thread hook = Thread.ofPlatform().name("arcbox-interrupt").unstarted(action);
            Runtime.getRuntime().addShutdownHook(hook);
            return () -> {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is already exiting: the hook runs (or ran) and that is what we want
                }
            };
        };
    }
}
