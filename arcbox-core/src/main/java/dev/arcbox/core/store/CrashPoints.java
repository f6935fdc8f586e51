package dev.arcbox.core.store;

import java.util.Objects;

/**
 * Named points where a test may make the daemon "crash". Production code marks the moments worth
 * testing — {@code CrashPoints.hit("create.after-tap")} — and the {@link OperationJournal} marks
 * every step boundary on its own ({@code <kind>.<step>.before} and {@code <kind>.<step>.after}).
 * Without a hook installed a hit is one volatile read.
 *
 * <p>Tests only: {@link #install} a hook that throws (an in-process "crash": nothing after the point
 * runs), or that calls {@link Runtime#halt} in a fault-injection child process (a real crash: no
 * finally blocks, no shutdown hooks, no store close). One hook per JVM.
 */
public final class CrashPoints {

    /** What a hit does when a test installed it. */
    @FunctionalInterface
    public interface Hook {
        void hit(String name);
    }

    private static volatile Hook hook;

    private CrashPoints() {}

    /** Marks the named point; runs the installed hook, if any. */
    public static void hit(String name) {
        Hook current = hook;
        if (current != null) {
            current.hit(name);
        }
    }

    /** Tests only: makes every later {@link #hit} call {@code newHook}, replacing any hook before it. */
    public static void install(Hook newHook) {
        hook = Objects.requireNonNull(newHook, "hook");
    }

    /** Tests only: removes the hook; hits are no-ops again. */
    public static void clear() {
        hook = null;
    }
}
