package dev.arcbox.client;

import dev.arcbox.api.v1.WriteFileHeader;

/**
 * How {@link SandboxFiles#write} writes a file: permission bits (0 = 0644), owner (a guest user
 * name or "uid" / "uid:gid"; empty = root), whether missing parents are made, whether an existing
 * file is an error (ALREADY_EXISTS), and whether to append instead of replace.
 */
public record WriteOptions(int mode, String owner, boolean makeParents, boolean exclusive, boolean append) {

    /** 0644, root, no parents made, replacing. */
    public static final WriteOptions DEFAULT = new WriteOptions(0, "", false, false, false);

    public WriteOptions {
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("mode: must be within 07777, got " + Integer.toOctalString(mode));
        }
        owner = owner == null ? "" : owner;
    }

    public WriteOptions withMode(int bits) {
        return new WriteOptions(bits, owner, makeParents, exclusive, append);
    }

    public WriteOptions withOwner(String user) {
        return new WriteOptions(mode, user, makeParents, exclusive, append);
    }

    public WriteOptions withParents() {
        return new WriteOptions(mode, owner, true, exclusive, append);
    }

    public WriteOptions withExclusive() {
        return new WriteOptions(mode, owner, makeParents, true, append);
    }

    public WriteOptions withAppend() {
        return new WriteOptions(mode, owner, makeParents, exclusive, true);
    }

    WriteFileHeader header(String sandboxId, String path) {
        return WriteFileHeader.newBuilder()
                .setSandboxId(sandboxId).setPath(path).setMode(mode).setOwner(owner)
                .setMakeParents(makeParents).setExclusive(exclusive).setAppend(append)
                .build();
    }
}
