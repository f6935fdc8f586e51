package dev.arcbox.client;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.FileInfo;
import dev.arcbox.api.v1.ListDirRequest;
import dev.arcbox.api.v1.MakeDirRequest;
import dev.arcbox.api.v1.ReadFileRequest;
import dev.arcbox.api.v1.ReadFileResponse;
import dev.arcbox.api.v1.RemoveFileRequest;
import dev.arcbox.api.v1.RenameRequest;
import dev.arcbox.api.v1.StatRequest;
import dev.arcbox.api.v1.WriteFileRequest;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A sandbox's file system, by absolute guest paths. Files move in chunks of {@link #CHUNK} bytes,
 * never whole in memory (except {@link #readAllBytes} and {@link #write(String, byte[])}, meant
 * for small files), with flow control: a write waits while the daemon is not ready for more, a
 * read takes the next chunk only when the previous one was written out. Failures throw
 * {@link ArcboxClientException} (NOT_FOUND, PERMISSION_DENIED, ALREADY_EXISTS, …) naming the path;
 * local I/O failures throw {@link IOException}.
 */
public final class SandboxFiles {

    /** Bytes of file data per message. */
    public static final int CHUNK = 256 << 10;
    private static final long READY_POLL_MILLIS = 50;

    private final Calls calls;
    private final String sandboxId;

    SandboxFiles(Calls calls, String sandboxId) {
        this.calls = calls;
        this.sandboxId = sandboxId;
    }

    /** Writes everything {@code data} holds to {@code path} (replacing it, 0644, root). */
    public FileInfo write(String path, InputStream data) throws IOException {
        return write(path, data, WriteOptions.DEFAULT);
    }

    public FileInfo write(String path, byte[] data) throws IOException {
        return write(path, new ByteArrayInputStream(data), WriteOptions.DEFAULT);
    }

    /** Uploads the local file {@code local}. */
    public FileInfo write(String path, Path local, WriteOptions options) throws IOException {
        try (InputStream in = Files.newInputStream(local)) {
            return write(path, in, options);
        }
    }

    /**
     * Streams {@code data} to {@code path}. The file appears only once every byte is written (unless
     * appending). A failing {@code data} cancels the call and leaves no file.
     */
    public FileInfo write(String path, InputStream data, WriteOptions options) throws IOException {
        Upload upload = new Upload();
        calls.fileWrites().writeFile(upload);
        ClientCallStreamObserver<WriteFileRequest> requests = upload.requests;
        try {
            upload.send(WriteFileRequest.newBuilder().setHeader(options.header(sandboxId, path)).build());
            byte[] buffer = new byte[CHUNK];
            int n;
            while (!upload.result.isDone() && (n = data.readNBytes(buffer, 0, CHUNK)) > 0) {
                upload.send(WriteFileRequest.newBuilder().setData(ByteString.copyFrom(buffer, 0, n)).build());
            }
            if (!upload.result.isDone()) {
                synchronized (upload) {
                    requests.onCompleted();
                }
            }
        } catch (IOException | RuntimeException e) {
            requests.cancel("writing " + path + " failed", e);
            throw e;
        }
        try {
            return upload.result.get();
        } catch (ExecutionException e) {
            throw ArcboxClientException.of(e.getCause());
        } catch (InterruptedException e) {
            requests.cancel("interrupted", e);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("writing " + path + " in sandbox '" + sandboxId + "'");
        }
    }

    /** Streams {@code path} into {@code out}; returns the file's info. Does not close {@code out}. */
    public FileInfo read(String path, OutputStream out) throws IOException {
        return read(ReadFileRequest.newBuilder().setSandboxId(sandboxId).setPath(path).build(), out);
    }

    /** Downloads {@code path} to the local file {@code local} (replaced). */
    public FileInfo read(String path, Path local) throws IOException {
        try (OutputStream out = Files.newOutputStream(local)) {
            return read(path, out);
        }
    }

    /** {@code length} bytes (0 = to the end) of {@code path} from {@code offset}. */
    public FileInfo read(String path, long offset, long length, OutputStream out) throws IOException {
        return read(ReadFileRequest.newBuilder().setSandboxId(sandboxId).setPath(path)
                .setOffset(offset).setLength(length).build(), out);
    }

    /** A small file, whole. */
    public byte[] readAllBytes(String path) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        read(path, out);
        return out.toByteArray();
    }

    private FileInfo read(ReadFileRequest request, OutputStream out) throws IOException {
        Context.CancellableContext context = Context.current().withCancellation();
        Context previous = context.attach();
        try {
            Iterator<ReadFileResponse> responses = calls.fileReads().readFile(request);
            FileInfo info = null;
            while (responses.hasNext()) {
                ReadFileResponse r = responses.next();
                switch (r.getMsgCase()) {
                    case INFO -> info = r.getInfo();
                    case DATA -> r.getData().writeTo(out);
                    case MSG_NOT_SET -> {
                        // a message kind a newer daemon added
                    }
                }
            }
            return info != null ? info : FileInfo.newBuilder().setPath(request.getPath()).build();
        } catch (StatusRuntimeException e) {
            throw ArcboxClientException.of(e);
        } finally {
            context.detach(previous);
            context.cancel(null);
        }
    }

    public FileInfo stat(String path) {
        return Calls.call(() -> calls.files(calls.unaryDeadline())
                .stat(StatRequest.newBuilder().setSandboxId(sandboxId).setPath(path).build()));
    }

    /** A directory's entries, sorted by name. */
    public List<FileInfo> list(String path) {
        return Calls.call(() -> calls.files(calls.unaryDeadline())
                .listDir(ListDirRequest.newBuilder().setSandboxId(sandboxId).setPath(path).build())).getEntriesList();
    }

    /** Makes a directory (0755); with {@code parents}, like mkdir -p. */
    public FileInfo mkdir(String path, boolean parents) {
        return Calls.call(() -> calls.files(calls.unaryDeadline()).makeDir(MakeDirRequest.newBuilder()
                .setSandboxId(sandboxId).setPath(path).setParents(parents).build()));
    }

    /** Removes a file or an empty directory; with {@code recursive}, a whole tree. */
    public void remove(String path, boolean recursive) {
        Calls.call(() -> calls.files(calls.unaryDeadline()).remove(RemoveFileRequest.newBuilder()
                .setSandboxId(sandboxId).setPath(path).setRecursive(recursive).build()));
    }

    /** Renames {@code from} to {@code to}; with {@code overwrite}, replacing what is there. */
    public FileInfo rename(String from, String to, boolean overwrite) {
        return Calls.call(() -> calls.files(calls.unaryDeadline()).rename(RenameRequest.newBuilder()
                .setSandboxId(sandboxId).setFrom(from).setTo(to).setOverwrite(overwrite).build()));
    }

    /** One WriteFile call: sends when the transport is ready, completes with the daemon's answer. */
    private static final class Upload implements ClientResponseObserver<WriteFileRequest, FileInfo> {
        final CompletableFuture<FileInfo> result = new CompletableFuture<>();
        ClientCallStreamObserver<WriteFileRequest> requests;

        @Override
        public void beforeStart(ClientCallStreamObserver<WriteFileRequest> stream) {
            requests = stream;
            stream.setOnReadyHandler(this::wake);
        }

        private synchronized void wake() {
            notifyAll();
        }

        synchronized void send(WriteFileRequest request) throws InterruptedIOException {
            try {
                while (!requests.isReady() && !result.isDone()) {
                    wait(READY_POLL_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("writing a file");
            }
            if (!result.isDone()) {
                requests.onNext(request);
            }
        }

        @Override
        public void onNext(FileInfo info) {
            result.complete(info);
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
            wake();
        }

        @Override
        public void onCompleted() {
            result.complete(FileInfo.getDefaultInstance());
            wake();
        }
    }
}
