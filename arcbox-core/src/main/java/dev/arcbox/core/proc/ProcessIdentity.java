package dev.arcbox.core.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A process named by its pid and its start time (clock ticks since boot, field 22 of
 * {@code /proc/PID/stat}). A pid alone can be reused by an unrelated process; the pair cannot.
 *
 * @param pid the process id
 * @param startTime the start time in clock ticks since boot
 */
public record ProcessIdentity(long pid, long startTime) {

    /** The identity of the live process {@code pid}, or empty when there is none. */
    public static java.util.Optional<ProcessIdentity> of(long pid) {
        OptionalLong start = startTime(pid);
        return start.isPresent()
                ? java.util.Optional.of(new ProcessIdentity(pid, start.getAsLong()))
                : java.util.Optional.empty();
    }

    /** Whether this very process still exists (and is not a zombie). */
    public boolean isAlive() {
        String stat = readStat(pid);
        if (stat == null) {
            return false;
        }
        String[] fields = fieldsAfterComm(stat);
        // fields[0] is field 3 (state); field 22 is fields[19]
        return fields.length > 19
                && !"Z".equals(fields[0])
                && !"X".equals(fields[0])
                && Long.parseLong(fields[19]) == startTime;
    }

    /** The start time of process {@code pid}, or empty when it does not exist. */
    public static OptionalLong startTime(long pid) {
        String stat = readStat(pid);
        if (stat == null) {
            return OptionalLong.empty();
        }
        String[] fields = fieldsAfterComm(stat);
        return fields.length > 19 ? OptionalLong.of(Long.parseLong(fields[19])) : OptionalLong.empty();
    }

    private static String readStat(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The command name may hold spaces and parentheses: split after its last ')'. */
    private static String[] fieldsAfterComm(String stat) {
        int end = stat.lastIndexOf(')');
        return stat.substring(end + 2).trim().split(" ");
    }
}
