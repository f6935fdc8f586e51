package dev.arcbox.client;

/**
 * Receives an execution's output as it arrives, on one thread at a time, in order. A method that
 * blocks holds back the process (flow control): the guest stops reading its output until it
 * returns. Must not call back into the execution's stdin from the same thread while its pipe is full.
 */
public interface OutputListener {

    void stdout(byte[] data);

    /** Never called for a tty, whose output is all stdout. */
    void stderr(byte[] data);

    /**
     * On re-attach: {@code bytes} of {@code stream} ("stdout" or "stderr") were no longer held by
     * the guest and are lost before the data that follows.
     */
    default void lost(String stream, long bytes) {
    }
}
