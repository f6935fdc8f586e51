package dev.arcbox.core.spec;

import java.util.Locale;

/** What happens to a sandbox that stayed idle for its idle timeout. */
public enum IdleAction {
    /** vCPUs paused (memory kept); the next guest call resumes it in milliseconds. */
    PAUSE,
    /** VM stopped (memory lost, disk kept); the next guest call boots it again. */
    STOP;

    /** The lower-case name used in the API. */
    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }
}
