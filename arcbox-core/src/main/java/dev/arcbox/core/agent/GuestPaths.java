package dev.arcbox.core.agent;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Host-side checks of guest paths and user names, matching the agent's limits (docs/agent-protocol.md §5). */
public final class GuestPaths {

    static final int MAX_PATH_BYTES = 4095;
    static final int MAX_USER_BYTES = 64;

    private GuestPaths() {}

    static void check(List<String> problems, String field, String path) {
        if (path == null || path.isEmpty()) {
            problems.add(field + ": must be an absolute path, got none");
        } else if (!path.startsWith("/")) {
            problems.add(field + ": must be an absolute path, got '" + shorten(path) + "'");
        } else if (path.indexOf('\0') >= 0) {
            problems.add(field + ": must not contain NUL");
        } else if (path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            problems.add(field + ": at most " + MAX_PATH_BYTES + " bytes");
        }
    }

    static void checkOwner(List<String> problems, String field, String owner) {
        if (owner == null) {
            return;
        }
        if (owner.isEmpty() || owner.getBytes(StandardCharsets.UTF_8).length > MAX_USER_BYTES
                || owner.indexOf('\0') >= 0 || owner.indexOf('/') >= 0) {
            problems.add(field + ": must be a user name or uid[:gid] of 1.." + MAX_USER_BYTES
                    + " bytes without NUL or '/', got '" + shorten(owner) + "'");
        }
    }

    /** @throws dev.arcbox.core.ArcboxException.InvalidArgument naming the field */
    public static void require(String field, String path) {
        List<String> problems = new ArrayList<>();
        check(problems, field, path);
        if (!problems.isEmpty()) {
            throw new dev.arcbox.core.ArcboxException.InvalidArgument(problems.getFirst());
        }
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }
}
