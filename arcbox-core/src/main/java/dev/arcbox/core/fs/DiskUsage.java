package dev.arcbox.core.fs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Host space as the file system counts it: a sparse file takes only its allocated blocks
 * ({@code st_blocks} x 512 from {@code stat(2)}, which Java's attribute views do not expose).
 */
public final class DiskUsage {

    /** Offset of {@code st_blocks} in x86-64 Linux {@code struct stat} (144 bytes). */
    private static final long ST_BLOCKS = 64;
    private static final long STAT_SIZE = 144;
    private static final MethodHandle STAT = statHandle();

    private DiskUsage() {}

    @SuppressWarnings("restricted")
    private static MethodHandle statHandle() {
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("stat")
                .map(address -> linker.downcallHandle(address,
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS)))
                .orElse(null);
    }

    /** Bytes allocated on the host for {@code file}; 0 when it does not exist. */
    public static long allocatedBytes(Path file) {
        if (STAT == null || !Files.exists(file)) {
            return 0;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(STAT_SIZE, 8);
            int rc = (int) STAT.invokeExact(arena.allocateFrom(file.toString()), buf);
            return rc != 0 ? 0 : buf.get(ValueLayout.JAVA_LONG, ST_BLOCKS) * 512;
        } catch (Throwable e) {
            throw new IllegalStateException("stat " + file + ": " + e, e);
        }
    }

    /** Bytes an unprivileged writer may still use on the file system holding {@code dir}; 0 if unknown. */
    public static long freeBytes(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }
}
