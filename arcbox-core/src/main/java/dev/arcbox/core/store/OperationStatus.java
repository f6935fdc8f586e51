package dev.arcbox.core.store;

/** Where a journaled operation stands. Only {@link #RUNNING} operations need recovery. */
public enum OperationStatus {
    RUNNING("running"),
    DONE("done"),
    FAILED("failed"),
    ROLLED_BACK("rolled_back");

    private final String dbName;

    OperationStatus(String dbName) {
        this.dbName = dbName;
    }

    String dbName() {
        return dbName;
    }

    static OperationStatus fromDb(String name) {
        for (OperationStatus s : values()) {
            if (s.dbName.equals(name)) {
                return s;
            }
        }
        throw new IllegalStateException("unknown operation status in the database: " + name);
    }
}
