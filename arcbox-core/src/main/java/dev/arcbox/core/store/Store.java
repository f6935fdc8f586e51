package dev.arcbox.core.store;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The daemon's durable state: one SQLite database, {@code arcbox.db}, in the data directory.
 *
 * <p><b>Ownership.</b> One arcboxd per data directory: {@link #open} takes an exclusive lock on
 * {@code arcbox.lock} (holding the owner's pid) for as long as the store is open, and refuses a
 * directory another process — or another store in this JVM — holds. It also refuses, without
 * writing to it, a database that is not SQLite, not arcbox's ({@code application_id}), newer than
 * this code ({@code user_version}), corrupt ({@code quick_check}), or locked by another process for
 * longer than the busy timeout. Older schemas are migrated (see {@code Schema}).
 *
 * <p><b>Durability and cost.</b> WAL with {@code synchronous=FULL}: every committed
 * {@link #write} survives a crash or power loss and costs one fsync of the WAL (checkpoints, every
 * ~1000 pages, add a few more). Batch the writes of one state transition into one
 * {@code write} callback; the convenience methods below are one transaction each.
 *
 * <p><b>Concurrency.</b> Thread-safe, virtual-thread friendly (a {@link ReentrantLock}, no
 * monitors). Writes are serialized on one connection under a lock held only for the transaction's
 * SQL — never do I/O other than the store's inside a callback. Reads use a small pool of read-only
 * connections and never wait for the writer (WAL); they see what was committed when they began.
 * A {@code write} callback must not call {@code write} again (it would deadlock SQLite's
 * transaction): use the {@link Transaction} it was given.
 */
public final class Store implements AutoCloseable {

    private final Path dataDir;
    private final DatabaseFile db;
    private final StoreConfig config;
    private final DataDirLock dirLock;
    private final Connection writer;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final BlockingQueue<Connection> readers;
    private final OperationJournal journal;
    private final AtomicLong commits = new AtomicLong();
    private volatile boolean closed;

    private Store(Path dataDir, DatabaseFile db, StoreConfig config, DataDirLock dirLock, Connection writer,
            BlockingQueue<Connection> readers) {
        this.dataDir = dataDir;
        this.db = db;
        this.config = config;
        this.dirLock = dirLock;
        this.writer = writer;
        this.readers = readers;
        this.journal = new OperationJournal(this, config.clock());
    }

    /** Opens (creating if needed) the store in {@code dataDir} with {@link StoreConfig#defaults()}. */
    public static Store open(Path dataDir) {
        return open(dataDir, StoreConfig.defaults());
    }

    /**
     * Opens (creating if needed) the store in {@code dataDir}.
     *
     * @throws ArcboxException.FailedPrecondition if the directory is in use, or the database is
     *     foreign, corrupt, newer than this code or locked — the message says which
     * @throws ArcboxException.HostFailure if the directory or database cannot be read or written
     */
    public static Store open(Path dataDir, StoreConfig config) {
        return open(dataDir, config, Schema.MIGRATIONS);
    }

    static Store open(Path dataDir, StoreConfig config, List<String> migrations) {
        Objects.requireNonNull(config, "config");
        Path dir;
        try {
            dir = Files.createDirectories(dataDir).toRealPath();
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("creating data dir " + dataDir + ": " + e.getMessage(), e);
        }
        DataDirLock lock = DataDirLock.acquire(dir);
        DatabaseFile db = new DatabaseFile(dir.resolve(DatabaseFile.NAME), config);
        List<Connection> opened = new ArrayList<>();
        try {
            db.check(migrations.size());
            Connection writer = db.openWriter();
            opened.add(writer);
            try (Statement s = writer.createStatement()) {
                s.execute("BEGIN IMMEDIATE"); // fails as locked if another process holds the write lock
                s.execute("ROLLBACK");
            }
            Migrator.migrate(writer, db, migrations);
            BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(config.readers());
            for (int i = 0; i < config.readers(); i++) {
                Connection reader = db.openReader();
                opened.add(reader);
                readers.add(reader);
            }
            return new Store(dir, db, config, lock, writer, readers);
        } catch (SQLException e) {
            ArcboxException failure = SqlErrors.map(e, "opening the store in " + dir, db.path(), config.busyTimeout());
            closeAll(opened, lock, failure);
            throw failure;
        } catch (RuntimeException e) {
            closeAll(opened, lock, e);
            throw e;
        }
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The journal of multi-step operations kept in this store. */
    public OperationJournal journal() {
        return journal;
    }

    /** Runs {@code work} in one read transaction (a consistent snapshot) and returns its result. */
    public <T> T read(Function<? super ReadTransaction, ? extends T> work) {
        Connection conn = takeReader();
        try {
            return inTransaction(conn, "BEGIN", new ReadTransaction(conn, config.clock(), db.path(),
                    config.busyTimeout()), work);
        } finally {
            readers.add(conn);
        }
    }

    /**
     * Runs {@code work} in one write transaction: it commits when {@code work} returns, and rolls
     * back when it throws (the exception propagates). One fsync per call.
     */
    public <T> T write(Function<? super Transaction, ? extends T> work) {
        if (writeLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("Store.write called inside a write callback; use its Transaction");
        }
        writeLock.lock();
        try {
            checkOpen();
            T result = inTransaction(writer, "BEGIN IMMEDIATE", new Transaction(writer, config.clock(), db.path(),
                    config.busyTimeout()), work);
            commits.incrementAndGet();
            return result;
        } finally {
            writeLock.unlock();
        }
    }

    /** Write transactions committed since open (each one WAL fsync). */
    long commits() {
        return commits.get();
    }

    // ---- one-transaction conveniences -----------------------------------------------------------

    /** @see Transaction#insertSandbox */
    public SandboxRow insertSandbox(NewSandbox sandbox) {
        return write(tx -> tx.insertSandbox(sandbox));
    }

    /** @see Transaction#updateSandbox */
    public SandboxRow updateSandbox(String uid, long expectedGeneration, UnaryOperator<SandboxRow> mutator) {
        return write(tx -> tx.updateSandbox(uid, expectedGeneration, mutator));
    }

    /** @see Transaction#deleteSandbox */
    public boolean deleteSandbox(String uid) {
        return write(tx -> tx.deleteSandbox(uid));
    }

    public Optional<SandboxRow> findSandboxByUid(String uid) {
        return read(tx -> tx.findSandboxByUid(uid));
    }

    public Optional<SandboxRow> findSandboxById(String id) {
        return read(tx -> tx.findSandboxById(id));
    }

    public List<SandboxRow> listSandboxes(SandboxFilter filter) {
        return read(tx -> tx.listSandboxes(filter));
    }

    /** @see Transaction#lease */
    public LeaseRow lease(String sandboxUid, Ipv4Pool pool) {
        return write(tx -> tx.lease(sandboxUid, pool));
    }

    /** @see Transaction#release */
    public Optional<LeaseRow> release(String sandboxUid) {
        return write(tx -> tx.release(sandboxUid));
    }

    public Optional<LeaseRow> leaseOf(String sandboxUid) {
        return read(tx -> tx.leaseOf(sandboxUid));
    }

    /** @see Transaction#appendEvent */
    public long appendEvent(String sandboxId, String sandboxUid, String action, String dataJson) {
        return write(tx -> tx.appendEvent(sandboxId, sandboxUid, action, dataJson));
    }

    /** @see ReadTransaction#readEventsFrom */
    public EventPage readEventsFrom(long fromSeq, int limit, EventFilter filter) {
        return read(tx -> tx.readEventsFrom(fromSeq, limit, filter));
    }

    /** @see Transaction#trimEvents */
    public int trimEvents(int keepLast) {
        return write(tx -> tx.trimEvents(keepLast));
    }

    /** @see ReadTransaction#oldestEventSeq */
    public long oldestEventSeq() {
        return read(ReadTransaction::oldestEventSeq);
    }

    /** @see Transaction#insertSnapshot */
    public SnapshotRow insertSnapshot(NewSnapshot snapshot) {
        return write(tx -> tx.insertSnapshot(snapshot));
    }

    /** @see Transaction#publishSnapshot */
    public SnapshotRow publishSnapshot(String id, String manifestJson, long sizeBytes) {
        return write(tx -> tx.publishSnapshot(id, manifestJson, sizeBytes));
    }

    /** @see Transaction#deleteSnapshot */
    public boolean deleteSnapshot(String id) {
        return write(tx -> tx.deleteSnapshot(id));
    }

    public Optional<SnapshotRow> findSnapshot(String id) {
        return read(tx -> tx.findSnapshot(id));
    }

    public List<SnapshotRow> listSnapshots(SnapshotFilter filter) {
        return read(tx -> tx.listSnapshots(filter));
    }

    /**
     * Closes the connections (the last one checkpoints the WAL into the database) and releases the
     * data dir. Waits for reads in flight. Idempotent.
     */
    @Override
    public void close() {
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            writeLock.unlock();
        }
        List<Connection> toClose = new ArrayList<>();
        ArcboxException failure = null;
        for (int i = 0; i < config.readers(); i++) {
            try {
                Connection reader = readers.poll(30, TimeUnit.SECONDS);
                if (reader == null) {
                    failure = new ArcboxException.DeadlineExceeded("closing the store in " + dataDir
                            + ": a read did not finish within 30 s");
                    break;
                }
                toClose.add(reader);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new ArcboxException.Unavailable("closing the store in " + dataDir + ": interrupted", e);
                break;
            }
        }
        writeLock.lock();
        try {
            toClose.add(writer);
        } finally {
            writeLock.unlock();
        }
        closeAll(toClose, dirLock, failure);
        if (failure != null) {
            throw failure;
        }
    }

    private <X extends ReadTransaction, T> T inTransaction(Connection conn, String begin, X tx,
            Function<? super X, ? extends T> work) {
        execute(conn, begin);
        T result;
        try {
            result = work.apply(tx);
        } catch (RuntimeException | Error e) {
            rollback(conn, e);
            throw e;
        } finally {
            tx.end();
        }
        try {
            execute(conn, "COMMIT");
        } catch (RuntimeException e) {
            rollback(conn, e);
            throw e;
        }
        return result;
    }

    private void execute(Connection conn, String sql) {
        try (Statement s = conn.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw SqlErrors.map(e, sql.toLowerCase(java.util.Locale.ROOT) + " in the store", db.path(),
                    config.busyTimeout());
        }
    }

    /** Rolls back what is left of the transaction; SQLite may have rolled it back on its own already. */
    private static void rollback(Connection conn, Throwable failure) {
        try (Statement s = conn.createStatement()) {
            s.execute("ROLLBACK");
        } catch (SQLException e) {
            if (e.getMessage() == null || !e.getMessage().contains("no transaction is active")) {
                failure.addSuppressed(e);
            }
        }
    }

    private Connection takeReader() {
        try {
            while (true) {
                checkOpen();
                Connection conn = readers.poll(100, TimeUnit.MILLISECONDS);
                if (conn != null) {
                    if (closed) {
                        readers.add(conn);
                        checkOpen();
                    }
                    return conn;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArcboxException.Unavailable("reading the store in " + dataDir + ": interrupted", e);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the store in " + dataDir + " is closed");
        }
    }

    private static void closeAll(List<Connection> connections, DataDirLock lock, Throwable failure) {
        Throwable first = failure;
        for (Connection conn : connections.reversed()) {
            try {
                conn.close();
            } catch (SQLException e) {
                first = keep(first, new ArcboxException.HostFailure("closing the store: " + e.getMessage(), e));
            }
        }
        try {
            lock.close();
        } catch (RuntimeException e) {
            first = keep(first, e);
        }
        if (failure == null && first instanceof RuntimeException r) {
            throw r;
        }
    }

    private static Throwable keep(Throwable first, Throwable next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
