package dev.arcbox.core.agent;

/**
 * A file in the guest as the agent saw it (FILE_INFO, docs/agent-protocol.md §3): {@code lstat}
 * semantics, so a symbolic link is reported as itself with its target.
 *
 * @param path          the path asked for (for list entries: the directory's path joined with name)
 * @param name          the last path component
 * @param type          what kind of file
 * @param size          bytes
 * @param mode          permission bits (07777)
 * @param uid           owner (unsigned 32 bits)
 * @param gid           group (unsigned 32 bits)
 * @param modifiedAt    Unix seconds
 * @param symlinkTarget the link's target, or null for other types
 */
public record GuestFile(String path, String name, Type type, long size, int mode, long uid, long gid, long modifiedAt,
                        String symlinkTarget) {

    /** The kinds of file the API distinguishes. */
    public enum Type {
        FILE, DIR, SYMLINK, OTHER;

        static Type of(int code) {
            return switch (code) {
                case 1 -> FILE;
                case 2 -> DIR;
                case 3 -> SYMLINK;
                default -> OTHER;
            };
        }

        /** The API's spelling: file, dir, symlink, other. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
