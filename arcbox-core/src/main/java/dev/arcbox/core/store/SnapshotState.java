package dev.arcbox.core.store;

/** A snapshot is staged while its files are written, and published once its directory is renamed into place. */
public enum SnapshotState {
    STAGED("staged"),
    PUBLISHED("published");

    private final String dbName;

    SnapshotState(String dbName) {
        this.dbName = dbName;
    }

    String dbName() {
        return dbName;
    }

    static SnapshotState fromDb(String name) {
        for (SnapshotState s : values()) {
            if (s.dbName.equals(name)) {
                return s;
            }
        }
        throw new IllegalStateException("unknown snapshot state in the database: " + name);
    }
}
