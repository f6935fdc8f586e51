package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.FileInfo;
import dev.arcbox.api.v1.FilesServiceGrpc;
import dev.arcbox.api.v1.ListDirRequest;
import dev.arcbox.api.v1.MakeDirRequest;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.ReadFileRequest;
import dev.arcbox.api.v1.ReadFileResponse;
import dev.arcbox.api.v1.RemoveFileRequest;
import dev.arcbox.api.v1.RenameRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.StatRequest;
import dev.arcbox.api.v1.WriteFileHeader;
import dev.arcbox.api.v1.WriteFileRequest;
import dev.arcbox.core.testing.TestRun;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** FilesService on a real VM: streamed 256 MiB round trip with bounded daemon memory, every RPC and its errors. */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FilesTest {

    static final int MIB = 1 << 20;

    private DaemonProcess daemon;
    private String box;

    @BeforeAll
    void sandbox() throws Exception {
        TestRun.assumeQemuHost();
        daemon = new DaemonProcess("files-" + TestRun.id(), DaemonProcess.netns(), "").start();
        box = "files-" + TestRun.vmId();
        daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(box).setWait(true)
                .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256))
                .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
    }

    @AfterAll
    void cleanUp() {
        if (daemon != null) {
            daemon.removeAllSandboxes();
            daemon.close();
        }
    }

    private FilesServiceGrpc.FilesServiceBlockingStub files() {
        return FilesServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(2, TimeUnit.MINUTES);
    }

    @Test
    void a256MiBFile_goesInAndOut_withMatchingSha256_andTheDaemonsMemoryBounded() throws Exception {
        long size = 256L * MIB;
        long before = vmHwmKib(daemon.pid());
        long start = System.nanoTime();
        Upload up = upload(daemon, box, "/root/big.bin", size, 256 * 1024);
        double upSeconds = (System.nanoTime() - start) / 1e9;
        assertThat(up.info().getSize()).isEqualTo(size);
        assertThat(up.info().getType()).isEqualTo("file");
        start = System.nanoTime();
        Download down = download(daemon, box, "/root/big.bin");
        double downSeconds = (System.nanoTime() - start) / 1e9;
        assertThat(down.size()).isEqualTo(size);
        assertThat(down.sha256()).isEqualTo(up.sha256());
        long peak = vmHwmKib(daemon.pid());
        System.out.printf("256 MiB: upload %.1f MiB/s, download %.1f MiB/s, daemon VmHWM %d MiB (before %d MiB)%n",
                256 / upSeconds, 256 / downSeconds, peak / 1024, before / 1024);
        assertThat(peak - before).as("daemon peak RSS growth, KiB").isLessThan(200L * 1024);
        files().remove(RemoveFileRequest.newBuilder().setSandboxId(box).setPath("/root/big.bin").build());
    }

    @Test
    void everyRpc_works_andMapsGuestErrors() throws Exception {
        var f = files();
        FileInfo dir = f.makeDir(MakeDirRequest.newBuilder().setSandboxId(box).setPath("/srv/a/b").setParents(true)
                .setMode(0750).setOwner("nobody").build());
        assertThat(dir.getType()).isEqualTo("dir");
        assertThat(dir.getMode()).isEqualTo(0750);
        assertThat(dir.getUid()).isEqualTo(65534);
        assertThat(code(() -> f.makeDir(MakeDirRequest.newBuilder().setSandboxId(box).setPath("/srv/a/b").build())))
                .isEqualTo(Status.Code.ALREADY_EXISTS);
        f.makeDir(MakeDirRequest.newBuilder().setSandboxId(box).setPath("/srv/a/b").setParents(true).build());

        FileInfo written = write("/srv/a/b/hello.txt", "hello\n", WriteFileHeader.newBuilder().setMode(0600)
                .setOwner("1000:1000"));
        assertThat(written.getSize()).isEqualTo(6);
        assertThat(written.getMode()).isEqualTo(0600);
        assertThat(written.getUid()).isEqualTo(1000);
        assertThat(written.getGid()).isEqualTo(1000);
        assertThat(write("/srv/a/b/hello.txt", "more\n", WriteFileHeader.newBuilder().setAppend(true)).getSize())
                .isEqualTo(11);
        assertThat(read("/srv/a/b/hello.txt")).isEqualTo("hello\nmore\n");
        assertThat(write("/srv/new/deep/file", "x", WriteFileHeader.newBuilder().setMakeParents(true)).getPath())
                .isEqualTo("/srv/new/deep/file");
        assertThat(writeCode("/srv/a/b/hello.txt", WriteFileHeader.newBuilder().setExclusive(true)))
                .isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(writeCode("/srv/none/file", WriteFileHeader.newBuilder())).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(writeCode("/srv/a", WriteFileHeader.newBuilder())).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(writeCode("/sys/arcbox-test", WriteFileHeader.newBuilder())).isEqualTo(Status.Code.PERMISSION_DENIED);

        var list = f.listDir(ListDirRequest.newBuilder().setSandboxId(box).setPath("/srv/a/b").build()).getEntriesList();
        assertThat(list).extracting(FileInfo::getName).containsExactly("hello.txt");
        assertThat(list.getFirst().getPath()).isEqualTo("/srv/a/b/hello.txt");
        assertThat(f.listDir(ListDirRequest.newBuilder().setSandboxId(box).setPath("/srv").build()).getEntriesList())
                .extracting(FileInfo::getName).containsExactly("a", "new");
        assertThat(code(() -> f.listDir(ListDirRequest.newBuilder().setSandboxId(box).setPath("/srv/a/b/hello.txt")
                .build()))).isEqualTo(Status.Code.FAILED_PRECONDITION);

        assertThat(f.stat(StatRequest.newBuilder().setSandboxId(box).setPath("/bin/sh").build()))
                .satisfies(i -> {
                    assertThat(i.getType()).isEqualTo("symlink");
                    assertThat(i.getSymlinkTarget()).isEqualTo("/bin/busybox");
                });
        StatusRuntimeException missing = failure(() -> f.stat(StatRequest.newBuilder().setSandboxId(box)
                .setPath("/no/such").build()));
        assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(missing.getStatus().getDescription()).contains("/no/such");
        assertThat(code(() -> read("/srv/a"))).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(code(() -> read("/no/such"))).isEqualTo(Status.Code.NOT_FOUND);

        write("/srv/other.txt", "other", WriteFileHeader.newBuilder());
        assertThat(code(() -> f.rename(RenameRequest.newBuilder().setSandboxId(box).setFrom("/srv/other.txt")
                .setTo("/srv/a/b/hello.txt").build()))).isEqualTo(Status.Code.ALREADY_EXISTS);
        FileInfo renamed = f.rename(RenameRequest.newBuilder().setSandboxId(box).setFrom("/srv/other.txt")
                .setTo("/srv/a/b/hello.txt").setOverwrite(true).build());
        assertThat(renamed.getSize()).isEqualTo(5);
        assertThat(code(() -> f.rename(RenameRequest.newBuilder().setSandboxId(box).setFrom("/srv/gone")
                .setTo("/srv/x").build()))).isEqualTo(Status.Code.NOT_FOUND);

        assertThat(code(() -> f.remove(RemoveFileRequest.newBuilder().setSandboxId(box).setPath("/srv/a").build())))
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
        f.remove(RemoveFileRequest.newBuilder().setSandboxId(box).setPath("/srv/a").setRecursive(true).build());
        assertThat(code(() -> f.stat(StatRequest.newBuilder().setSandboxId(box).setPath("/srv/a").build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(code(() -> f.remove(RemoveFileRequest.newBuilder().setSandboxId(box).setPath("/srv/a").build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(f.listDir(ListDirRequest.newBuilder().setSandboxId(box).setPath("/srv").build()).getEntriesList())
                .extracting(FileInfo::getName).containsExactly("new").as("no temporary files left");
    }

    @Test
    void badInput_isInvalidArgument_namingTheField() {
        var f = files();
        assertThat(invalid(() -> f.stat(StatRequest.newBuilder().setSandboxId(box).setPath("relative").build())))
                .startsWith("path:");
        assertThat(invalid(() -> f.listDir(ListDirRequest.newBuilder().setSandboxId(box).build()))).startsWith("path:");
        assertThat(invalid(() -> f.rename(RenameRequest.newBuilder().setSandboxId(box).setFrom("/a").setTo("b").build())))
                .startsWith("to:");
        assertThat(invalid(() -> f.makeDir(MakeDirRequest.newBuilder().setSandboxId(box).setPath("/x").setMode(010000)
                .build()))).startsWith("mode:");
        assertThat(invalid(() -> readAll(f.readFile(ReadFileRequest.newBuilder().setSandboxId(box).setPath("x").build()))))
                .startsWith("path:");
        assertThat(invalid(() -> write("rel/path", "x", WriteFileHeader.newBuilder()))).contains("path:");
        assertThat(invalid(() -> writeRaw(WriteFileRequest.newBuilder().setData(ByteString.copyFromUtf8("x")).build())))
                .startsWith("header:");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    record Upload(FileInfo info, String sha256) {}

    record Download(long size, String sha256) {}

    /** Streams {@code size} deterministic bytes (1 MiB blocks from seeded generators) with client flow control. */
    static Upload upload(DaemonProcess daemon, String box, String path, long size, int chunk) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        CompletableFuture<FileInfo> result = new CompletableFuture<>();
        Semaphore ready = new Semaphore(0);
        java.util.concurrent.atomic.AtomicReference<ClientCallStreamObserver<WriteFileRequest>> requests =
                new java.util.concurrent.atomic.AtomicReference<>();
        FilesServiceGrpc.newStub(daemon.channel()).withDeadlineAfter(10, TimeUnit.MINUTES)
                .writeFile(new ClientResponseObserver<WriteFileRequest, FileInfo>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<WriteFileRequest> r) {
                        requests.set(r);
                        r.setOnReadyHandler(ready::release);
                    }

                    @Override
                    public void onNext(FileInfo value) {
                        result.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        result.complete(null);
                    }
                });
        ClientCallStreamObserver<WriteFileRequest> out = requests.get();
        out.onNext(WriteFileRequest.newBuilder().setHeader(WriteFileHeader.newBuilder().setSandboxId(box).setPath(path)
                .setMode(0644)).build());
        byte[] block = new byte[MIB];
        for (long sent = 0; sent < size; ) {
            new Random(sent / MIB).nextBytes(block);
            for (int off = 0; off < MIB && sent < size; off += chunk) {
                int n = (int) Math.min(chunk, size - sent);
                while (!out.isReady()) {
                    if (result.isDone()) {
                        result.join();
                    }
                    ready.tryAcquire(1, TimeUnit.SECONDS);
                }
                out.onNext(WriteFileRequest.newBuilder().setData(ByteString.copyFrom(block, off, n)).build());
                sha.update(block, off, n);
                sent += n;
            }
        }
        out.onCompleted();
        return new Upload(result.get(5, TimeUnit.MINUTES), HexFormat.of().formatHex(sha.digest()));
    }

    static Download download(DaemonProcess daemon, String box, String path) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Iterator<ReadFileResponse> it = FilesServiceGrpc.newBlockingStub(daemon.channel())
                .withDeadlineAfter(10, TimeUnit.MINUTES)
                .readFile(ReadFileRequest.newBuilder().setSandboxId(box).setPath(path).build());
        long size = 0;
        assertThat(it.next().hasInfo()).isTrue();
        while (it.hasNext()) {
            ByteString data = it.next().getData();
            for (var b : data.asReadOnlyByteBufferList()) {
                sha.update(b);
            }
            size += data.size();
        }
        return new Download(size, HexFormat.of().formatHex(sha.digest()));
    }

    /** VmHWM (peak resident set) of a process, KiB. */
    static long vmHwmKib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmHWM for " + pid);
    }

    private FileInfo write(String path, String text, WriteFileHeader.Builder header) throws Exception {
        return writeRaw(WriteFileRequest.newBuilder().setHeader(header.setSandboxId(box).setPath(path)).build(),
                WriteFileRequest.newBuilder().setData(ByteString.copyFromUtf8(text)).build());
    }

    private FileInfo writeRaw(WriteFileRequest... messages) throws Exception {
        CompletableFuture<FileInfo> result = new CompletableFuture<>();
        var out = FilesServiceGrpc.newStub(daemon.channel()).withDeadlineAfter(2, TimeUnit.MINUTES)
                .writeFile(new io.grpc.stub.StreamObserver<FileInfo>() {
                    @Override
                    public void onNext(FileInfo value) {
                        result.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        result.complete(null);
                    }
                });
        for (WriteFileRequest m : messages) {
            out.onNext(m);
        }
        out.onCompleted();
        try {
            return result.get(2, TimeUnit.MINUTES);
        } catch (java.util.concurrent.ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private Status.Code writeCode(String path, WriteFileHeader.Builder header) {
        return code(() -> {
            try {
                write(path, "data", header);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    private String read(String path) {
        return readAll(files().readFile(ReadFileRequest.newBuilder().setSandboxId(box).setPath(path).build()));
    }

    private static String readAll(Iterator<ReadFileResponse> it) {
        StringBuilder s = new StringBuilder();
        while (it.hasNext()) {
            ReadFileResponse r = it.next();
            if (r.hasData()) {
                s.append(r.getData().toString(StandardCharsets.UTF_8));
            }
        }
        return s.toString();
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static String invalid(ThrowingRunnable call) {
        StatusRuntimeException e = failure(call);
        assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        return e.getStatus().getDescription();
    }

    private static StatusRuntimeException failure(ThrowingRunnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no error");
    }

    private static Status.Code code(ThrowingRunnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return Status.Code.OK;
    }
}
