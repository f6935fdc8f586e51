package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;

/**
 * Turns a guest errno and message into the arcbox error hierarchy. The message comes from the guest and is
 * untrusted: it is cut to {@link #MAX_MESSAGE_CHARS} and stripped of control and formatting characters.
 */
final class GuestError {

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int E2BIG = 7;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EINVAL = 22;
    static final int ESRCH = 3;
    static final int EEXIST = 17;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int ENOSPC = 28;
    static final int ENAMETOOLONG = 36;
    static final int ENOTEMPTY = 39;
    static final int EDQUOT = 122;
    static final int MAX_MESSAGE_CHARS = 200;

    private GuestError() {}

    static ArcboxException toException(String operation, int errno, String guestMessage) {
        String text = operation + ": guest agent failed with " + errnoName(errno) + ": " + sanitize(guestMessage);
        return switch (errno) {
            case ENOENT -> new ArcboxException.NotFound(text);
            case EACCES, EPERM -> new ArcboxException.PermissionDenied(text);
            case EEXIST -> new ArcboxException.AlreadyExists(text);
            case EAGAIN, ENOSPC, EDQUOT -> new ArcboxException.ResourceExhausted(text);
            case EINVAL, E2BIG, ENAMETOOLONG -> new ArcboxException.InvalidArgument(text);
            default -> new ArcboxException.FailedPrecondition(text);
        };
    }

    /** Printable text only, at most {@link #MAX_MESSAGE_CHARS} code points; "(no message)" for null or blank. */
    static String sanitize(String untrusted) {
        if (untrusted == null || untrusted.isBlank()) {
            return "(no message)";
        }
        StringBuilder out = new StringBuilder();
        int count = 0;
        for (int i = 0; i < untrusted.length(); ) {
            int cp = untrusted.codePointAt(i);
            i += Character.charCount(cp);
            if (count++ == MAX_MESSAGE_CHARS) {
                out.append("…");
                break;
            }
            out.appendCodePoint(printable(cp) ? cp : '?');
        }
        return out.toString().strip();
    }

    private static boolean printable(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
            default -> true;
        };
    }

    private static String errnoName(int errno) {
        String name = switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case ESRCH -> "ESRCH";
            case 5 -> "EIO";
            case E2BIG -> "E2BIG";
            case 8 -> "ENOEXEC";
            case EAGAIN -> "EAGAIN";
            case 12 -> "ENOMEM";
            case EACCES -> "EACCES";
            case 16 -> "EBUSY";
            case EEXIST -> "EEXIST";
            case ENOTDIR -> "ENOTDIR";
            case EISDIR -> "EISDIR";
            case ENOSPC -> "ENOSPC";
            case ENAMETOOLONG -> "ENAMETOOLONG";
            case ENOTEMPTY -> "ENOTEMPTY";
            case EDQUOT -> "EDQUOT";
            case 18 -> "EXDEV";
            case 40 -> "ELOOP";
            case 30 -> "EROFS";
            case EINVAL -> "EINVAL";
            case 38 -> "ENOSYS";
            default -> null;
        };
        String number = "errno " + Integer.toUnsignedString(errno);
        return name == null ? number : name + " (" + number + ")";
    }
}
