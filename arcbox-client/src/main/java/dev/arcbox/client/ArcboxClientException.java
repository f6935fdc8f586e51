package dev.arcbox.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Locale;

/**
 * A call to arcboxd failed. Carries the gRPC status code (NOT_FOUND, INVALID_ARGUMENT, …) so that
 * callers can branch on it, and the daemon's message, which names the sandbox, path or field.
 * Unchecked, like the stubs' own {@link StatusRuntimeException}, which it wraps.
 */
public final class ArcboxClientException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Status.Code code;

    ArcboxClientException(Status.Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The exception for a failed call: its code, and the daemon's message (else the code in words). */
    static ArcboxClientException of(StatusRuntimeException e) {
        Status status = e.getStatus();
        String description = status.getDescription() != null ? status.getDescription()
                : status.getCode().name().toLowerCase(Locale.ROOT).replace('_', ' ');
        return new ArcboxClientException(status.getCode(), description, e);
    }

    /** The exception for any failure of a call: a status, a wrapped status, or a transport error. */
    static ArcboxClientException of(Throwable t) {
        return t instanceof StatusRuntimeException e ? of(e)
                : t instanceof ArcboxClientException e ? e
                : of(Status.fromThrowable(t).asRuntimeException());
    }

    /** The call's gRPC status code. */
    public Status.Code code() {
        return code;
    }

    @Override
    public String toString() {
        return getMessage() + " (" + code + ")";
    }
}
