package dev.arcbox.core.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Brings a database to the code's schema version, one migration per transaction (see
 * {@link Schema}). Run with the data dir locked, before any other use of the writer connection.
 */
final class Migrator {

    private Migrator() {}

    /** Applies the missing migrations; returns the version the database had before. */
    static int migrate(Connection writer, DatabaseFile db, List<String> migrations) throws SQLException {
        int current = DatabaseFile.pragmaInt(writer, "user_version");
        if (current > migrations.size()) {
            throw db.newer(current, migrations.size());
        }
        for (int version = current + 1; version <= migrations.size(); version++) {
            try (Statement s = writer.createStatement()) {
                s.execute("BEGIN IMMEDIATE");
                try {
                    if (DatabaseFile.pragmaInt(writer, "application_id") != Schema.APPLICATION_ID) {
                        s.execute("PRAGMA application_id = " + Schema.APPLICATION_ID);
                    }
                    s.executeUpdate(migrations.get(version - 1));
                    s.execute("PRAGMA user_version = " + version);
                    s.execute("COMMIT");
                } catch (SQLException | RuntimeException e) {
                    rollback(s, e);
                    throw e;
                }
            }
        }
        return current;
    }

    static void rollback(Statement s, Exception failure) {
        try {
            s.execute("ROLLBACK");
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }
}
