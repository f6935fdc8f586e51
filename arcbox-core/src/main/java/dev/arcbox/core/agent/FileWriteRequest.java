package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.util.ArrayList;
import java.util.List;

/**
 * A file to write in the guest (FILE_WRITE, docs/agent-protocol.md §4a). Without {@code append} the data goes
 * to a temporary name in the same directory and is renamed into place at the end, so the path never shows a
 * partial file.
 *
 * @param path        absolute guest path
 * @param mode        permission bits, 0..07777
 * @param owner       a guest user name, or "uid" / "uid:gid"; null for root
 * @param makeParents create missing parent directories (0755, same owner)
 * @param exclusive   fail with {@link ArcboxException.AlreadyExists} when the path exists
 * @param append      append to the file (created when missing) instead of replacing it
 */
public record FileWriteRequest(String path, int mode, String owner, boolean makeParents, boolean exclusive,
                               boolean append) {

    public FileWriteRequest {
        List<String> problems = new ArrayList<>();
        GuestPaths.check(problems, "path", path);
        if (mode < 0 || mode > 07777) {
            problems.add("mode: must be 0..07777, got 0" + Integer.toOctalString(mode));
        }
        GuestPaths.checkOwner(problems, "owner", owner);
        if (!problems.isEmpty()) {
            throw new ArcboxException.InvalidArgument(String.join("; ", problems));
        }
    }
}
