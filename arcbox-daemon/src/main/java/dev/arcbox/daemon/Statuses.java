package dev.arcbox.daemon;

import dev.arcbox.core.ArcboxException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The one place where arcbox errors become gRPC status codes. */
final class Statuses {

    private static final System.Logger LOG = System.getLogger(Statuses.class.getName());

    /**
     * The most characters of a status message sent to a client. A message quotes the offending
     * input; unbounded, a 100 kB id made the trailers exceed the client's 8 KiB header limit and
     * the client saw INTERNAL "http2 exception" instead of the code (found by ApiFuzzTest).
     */
    static final int MAX_MESSAGE_CHARS = 1024;

    private Statuses() {}

    static String cap(String message) {
        if (message == null || message.length() <= MAX_MESSAGE_CHARS) {
            return message;
        }
        int end = MAX_MESSAGE_CHARS;
        if (Character.isLowSurrogate(message.charAt(end))) {
            end--;
        }
        return message.substring(0, end) + "… (" + (message.length() - end) + " more characters)";
    }

    static StatusRuntimeException toStatus(Throwable error) {
        if (error instanceof StatusRuntimeException sre) {
            return sre;
        }
        if (error instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null) {
            return toStatus(ce.getCause());
        }
        if (error instanceof ArcboxException e) {
            Status status = switch (e) {
                case ArcboxException.InvalidArgument x -> Status.INVALID_ARGUMENT;
                case ArcboxException.NotFound x -> Status.NOT_FOUND;
                case ArcboxException.AlreadyExists x -> Status.ALREADY_EXISTS;
                case ArcboxException.FailedPrecondition x -> Status.FAILED_PRECONDITION;
                case ArcboxException.Unsupported x -> Status.FAILED_PRECONDITION;
                case ArcboxException.PermissionDenied x -> Status.PERMISSION_DENIED;
                case ArcboxException.ResourceExhausted x -> Status.RESOURCE_EXHAUSTED;
                case ArcboxException.OutOfRange x -> Status.OUT_OF_RANGE;
                case ArcboxException.DeadlineExceeded x -> Status.DEADLINE_EXCEEDED;
                case ArcboxException.Unavailable x -> Status.UNAVAILABLE;
                case ArcboxException.ProtocolViolation x -> Status.UNAVAILABLE;
                case ArcboxException.HostFailure x -> Status.INTERNAL;
            };
            if (status.getCode() == Status.Code.INTERNAL) {
                LOG.log(System.Logger.Level.ERROR, "internal error: " + e.getMessage(), e);
            }
            return status.withDescription(cap(e.getMessage())).asRuntimeException();
        }
        LOG.log(System.Logger.Level.ERROR, "unexpected error", error);
        return Status.INTERNAL.withDescription("internal error (see arcboxd's log)").asRuntimeException();
    }
}
