package dev.arcbox.core.driver;

import java.util.List;

/**
 * Where a VMM process is put on the host before it runs any guest code: a driver passes the
 * command it is about to spawn through {@link #wrap}, and spawns what comes back. The wrapped
 * command must exec the original in place, so the spawned pid stays the VMM's.
 */
@FunctionalInterface
public interface VmmPlacement {

    /** Leaves commands as they are. */
    VmmPlacement NONE = (vmId, command) -> command;

    /** The command that places the process of VM {@code vmId} and then execs {@code command}. */
    List<String> wrap(String vmId, List<String> command);
}
