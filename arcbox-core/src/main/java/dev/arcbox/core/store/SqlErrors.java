package dev.arcbox.core.store;

import dev.arcbox.core.ArcboxException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;

/** Turns SQLite failures into arcbox errors, naming the database and the action. */
final class SqlErrors {

    // primary SQLite result codes (https://sqlite.org/rescode.html)
    static final int BUSY = 5;
    static final int LOCKED = 6;
    static final int CORRUPT = 11;
    static final int FULL = 13;
    static final int CONSTRAINT = 19;
    static final int NOTADB = 26;

    private SqlErrors() {}

    static int primaryCode(SQLException e) {
        return e.getErrorCode() & 0xff;
    }

    static ArcboxException map(SQLException e, String action, Path db, Duration busyTimeout) {
        String detail = e.getMessage();
        return switch (primaryCode(e)) {
            case BUSY, LOCKED -> locked(db, busyTimeout, action);
            case CORRUPT, NOTADB -> corrupt(db, action + ": " + detail);
            case FULL -> new ArcboxException.ResourceExhausted(action + ": disk holding " + db + " is full");
            case CONSTRAINT -> new ArcboxException.FailedPrecondition(action + ": " + detail);
            default -> new ArcboxException.HostFailure(action + ": database " + db + ": " + detail, e);
        };
    }

    static ArcboxException.FailedPrecondition locked(Path db, Duration busyTimeout, String action) {
        return new ArcboxException.FailedPrecondition(action + ": database " + db
                + " is locked by another process (still busy after " + busyTimeout.toMillis()
                + " ms); stop whatever holds it (an sqlite3 shell?) and retry");
    }

    static ArcboxException.FailedPrecondition corrupt(Path db, String detail) {
        return new ArcboxException.FailedPrecondition("database " + db + " is corrupt (" + detail
                + "); arcboxd leaves it untouched: move it aside or restore it from a backup");
    }
}
