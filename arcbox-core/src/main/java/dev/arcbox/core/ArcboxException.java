package dev.arcbox.core;

/**
 * The one error hierarchy of arcbox. Callers branch on the type, never on the message. Each type
 * maps to exactly one gRPC status code (in the daemon) and one CLI exit code (in the CLI).
 *
 * <p>Messages are lowercase, name the object and the action, and never carry secrets.
 */
public abstract sealed class ArcboxException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ArcboxException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A request names a value that is not acceptable; nothing was changed. */
    public static final class InvalidArgument extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public InvalidArgument(String message) {
            super(message, null);
        }
    }

    /** The named object does not exist. */
    public static final class NotFound extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public NotFound(String message) {
            super(message, null);
        }
    }

    /** The named object exists already. */
    public static final class AlreadyExists extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public AlreadyExists(String message) {
            super(message, null);
        }
    }

    /** The system is not in a state that allows the action (a state, a mismatching asset, ...). */
    public static final class FailedPrecondition extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public FailedPrecondition(String message) {
            super(message, null);
        }
    }

    /** The guest refused the action for lack of permission (EACCES, EPERM). */
    public static final class PermissionDenied extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public PermissionDenied(String message) {
            super(message, null);
        }
    }

    /** The driver or host lacks a capability the request needs. */
    public static final class Unsupported extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public Unsupported(String message) {
            super(message, null);
        }
    }

    /** A limit would be passed. */
    public static final class ResourceExhausted extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public ResourceExhausted(String message) {
            super(message, null);
        }
    }

    /** A position (an event sequence number, an offset) lies outside what is kept. */
    public static final class OutOfRange extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public OutOfRange(String message) {
            super(message, null);
        }
    }

    /** A deadline passed before the action completed. */
    public static final class DeadlineExceeded extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public DeadlineExceeded(String message) {
            super(message, null);
        }
    }

    /** A peer (VMM, guest agent) is not reachable or went away; retrying may help. */
    public static final class Unavailable extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A peer broke its protocol (QMP, agent, VMM API). Never used for a caller's mistake. */
    public static final class ProtocolViolation extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public ProtocolViolation(String message) {
            super(message, null);
        }
    }

    /** A host operation failed (spawning a process, a file system call). */
    public static final class HostFailure extends ArcboxException {
        private static final long serialVersionUID = 1L;

        public HostFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
