package dev.arcbox.core.store;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * The database file: its connections, and the checks made before arcboxd writes to it. A file that
 * is not an SQLite database, belongs to another application, is newer than this code or fails
 * {@code PRAGMA quick_check} is refused and never written: the header is read raw, and everything
 * else through a read-only connection.
 */
final class DatabaseFile {

    static final String NAME = "arcbox.db";
    private static final byte[] MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    private final Path path;
    private final StoreConfig config;

    DatabaseFile(Path path, StoreConfig config) {
        this.path = path;
        this.config = config;
    }

    Path path() {
        return path;
    }

    /** The read-write connection: WAL, synchronous=FULL, foreign keys on, busy timeout; autocommit. */
    Connection openWriter() throws SQLException {
        SQLiteConfig c = base();
        c.setJournalMode(SQLiteConfig.JournalMode.WAL);
        c.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        c.enforceForeignKeys(true);
        Connection conn = c.createConnection(url());
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
            String mode = rs.next() ? rs.getString(1) : "?";
            if (!"wal".equalsIgnoreCase(mode)) {
                conn.close();
                throw new ArcboxException.FailedPrecondition("database " + path + " cannot use WAL journaling (got "
                        + mode + "); is its file system a network or read-only one?");
            }
        }
        return conn;
    }

    /** A read-only connection; it never writes to the database file. */
    Connection openReader() throws SQLException {
        SQLiteConfig c = base();
        c.setReadOnly(true);
        return c.createConnection(url());
    }

    /**
     * Refuses a database that arcboxd must not write to. A missing or empty file is a new database.
     * Any {@code -wal}/{@code -shm} file the read-only inspection created is removed again when the
     * database is refused, so a refused data dir is left as it was found.
     */
    void check(int codeVersion) {
        if (!Files.exists(path)) {
            return;
        }
        checkHeader();
        Path wal = sibling("-wal");
        Path shm = sibling("-shm");
        boolean hadWal = Files.exists(wal);
        boolean hadShm = Files.exists(shm);
        try (Connection conn = openReader()) {
            inspect(conn, codeVersion);
        } catch (SQLException e) {
            removeCreated(wal, hadWal, shm, hadShm);
            throw SqlErrors.map(e, "checking database " + path, path, config.busyTimeout());
        } catch (RuntimeException e) {
            removeCreated(wal, hadWal, shm, hadShm);
            throw e;
        }
    }

    private void checkHeader() {
        byte[] header = new byte[MAGIC.length];
        int read;
        try (FileChannel ch = FileChannel.open(path)) {
            if (ch.size() == 0) {
                return;
            }
            ByteBuffer buf = ByteBuffer.wrap(header);
            read = ch.read(buf, 0);
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("reading database " + path + ": " + e.getMessage(), e);
        }
        if (read != MAGIC.length || !Arrays.equals(header, MAGIC)) {
            throw SqlErrors.corrupt(path, "not an SQLite database: its header is not \"SQLite format 3\"");
        }
    }

    private void inspect(Connection conn, int codeVersion) throws SQLException {
        int applicationId = pragmaInt(conn, "application_id");
        int userVersion = pragmaInt(conn, "user_version");
        int objects;
        try (Statement s = conn.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM sqlite_schema")) {
            objects = rs.next() ? rs.getInt(1) : 0;
        }
        boolean empty = applicationId == 0 && userVersion == 0 && objects == 0;
        if (applicationId != Schema.APPLICATION_ID && !empty) {
            throw new ArcboxException.FailedPrecondition("database " + path + " is not an arcbox database "
                    + String.format("(application_id 0x%08x, expected 0x%08x)", applicationId, Schema.APPLICATION_ID)
                    + "; arcboxd leaves it untouched: use another data dir or move the file aside");
        }
        if (userVersion > codeVersion) {
            throw newer(userVersion, codeVersion);
        }
        List<String> problems = new ArrayList<>();
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("PRAGMA quick_check(5)")) {
            while (rs.next()) {
                if (!"ok".equals(rs.getString(1))) {
                    problems.add(rs.getString(1));
                }
            }
        }
        if (!problems.isEmpty()) {
            throw SqlErrors.corrupt(path, "quick_check: " + String.join("; ", problems));
        }
    }

    ArcboxException.FailedPrecondition newer(int found, int codeVersion) {
        return new ArcboxException.FailedPrecondition("database " + path + " has schema version " + found
                + ", newer than this arcboxd supports (" + codeVersion
                + "); run a newer arcboxd or point this one at another data dir");
    }

    static int pragmaInt(Connection conn, String pragma) throws SQLException {
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("PRAGMA " + pragma)) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    private SQLiteConfig base() {
        SQLiteConfig c = new SQLiteConfig();
        c.setBusyTimeout((int) config.busyTimeout().toMillis());
        return c;
    }

    private String url() {
        return "jdbc:sqlite:" + path;
    }

    private Path sibling(String suffix) {
        return path.resolveSibling(path.getFileName() + suffix);
    }

    private static void removeCreated(Path wal, boolean hadWal, Path shm, boolean hadShm) {
        try {
            if (!hadWal && Files.exists(wal) && Files.size(wal) == 0) {
                Files.deleteIfExists(wal);
            }
            if (!hadShm && !Files.exists(wal)) {
                Files.deleteIfExists(shm);
            }
        } catch (IOException ignored) {
            // cosmetic: the files are empty and the database is refused either way
        }
    }
}
