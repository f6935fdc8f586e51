package dev.arcbox.daemon;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.Empty;
import dev.arcbox.api.v1.FileInfo;
import dev.arcbox.api.v1.FilesServiceGrpc;
import dev.arcbox.api.v1.ListDirRequest;
import dev.arcbox.api.v1.ListDirResponse;
import dev.arcbox.api.v1.MakeDirRequest;
import dev.arcbox.api.v1.ReadFileRequest;
import dev.arcbox.api.v1.ReadFileResponse;
import dev.arcbox.api.v1.RemoveFileRequest;
import dev.arcbox.api.v1.RenameRequest;
import dev.arcbox.api.v1.StatRequest;
import dev.arcbox.api.v1.WriteFileRequest;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.FileDownload;
import dev.arcbox.core.agent.GuestFile;
import dev.arcbox.core.agent.GuestPaths;
import dev.arcbox.core.metrics.Telemetry;
import dev.arcbox.core.sandbox.SandboxService;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;

/**
 * FilesService over gRPC. Files stream in chunks with flow control both ways: an upload requests the next message
 * only once the agent took the previous one ({@link WriteCall}), a download reads from the agent (which sends within
 * the credit returned as the daemon reads) only as fast as the client takes messages ({@link FlowGate}). So the
 * daemon holds about one agent window per transfer, whatever the file's size.
 */
final class FilesApi extends FilesServiceGrpc.FilesServiceImplBase {

    static final Duration AGENT_DEADLINE = Duration.ofSeconds(30);
    private static final int CHUNK = 64 * 1024;

    private final SandboxService sandboxes;

    FilesApi(SandboxService sandboxes) {
        this.sandboxes = sandboxes;
    }

    @Override
    public StreamObserver<WriteFileRequest> writeFile(StreamObserver<FileInfo> observer) {
        return new WriteCall(sandboxes, (ServerCallStreamObserver<FileInfo>) observer);
    }

    @Override
    public void readFile(ReadFileRequest request, StreamObserver<ReadFileResponse> observer) {
        ServerCallStreamObserver<ReadFileResponse> out = (ServerCallStreamObserver<ReadFileResponse>) observer;
        FileDownload download;
        try {
            GuestPaths.require("path", request.getPath());
            download = sandboxes.guest(request.getSandboxId()).readFile(request.getPath(), request.getOffset(),
                    request.getLength(), AGENT_DEADLINE);
        } catch (RuntimeException e) {
            out.onError(Statuses.toStatus(e));
            return;
        }
        FlowGate<ReadFileResponse> gate = new FlowGate<>(out, download::close);
        Thread.ofVirtual().name("read-file").start(() -> stream(download, gate));
    }

    private void stream(FileDownload download, FlowGate<ReadFileResponse> gate) {
        try (download) {
            if (!gate.send(ReadFileResponse.newBuilder().setInfo(info(download.file())).build())) {
                return;
            }
            byte[] buf = new byte[CHUNK];
            int n;
            while ((n = download.readNBytes(buf, 0, buf.length)) > 0) {
                if (!gate.send(ReadFileResponse.newBuilder().setData(ByteString.copyFrom(buf, 0, n)).build())) {
                    return;
                }
                sandboxes.telemetry().fileBytes(Telemetry.FileDirection.READ, n);
            }
            gate.complete();
        } catch (IOException e) {
            gate.error(e.getCause() instanceof ArcboxException a ? a
                    : new ArcboxException.Unavailable("reading " + download.label() + ": " + e.getMessage(), e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            gate.error(new ArcboxException.Unavailable("read interrupted", e));
        } catch (RuntimeException e) {
            gate.error(e);
        }
    }

    @Override
    public void stat(StatRequest request, StreamObserver<FileInfo> out) {
        Calls.unary(out, () -> {
            GuestPaths.require("path", request.getPath());
            return info(sandboxes.guest(request.getSandboxId()).stat(request.getPath(), AGENT_DEADLINE));
        });
    }

    @Override
    public void listDir(ListDirRequest request, StreamObserver<ListDirResponse> out) {
        Calls.unary(out, () -> {
            GuestPaths.require("path", request.getPath());
            ListDirResponse.Builder b = ListDirResponse.newBuilder();
            sandboxes.guest(request.getSandboxId()).list(request.getPath(), AGENT_DEADLINE).forEach(f -> b.addEntries(info(f)));
            return b.build();
        });
    }

    @Override
    public void makeDir(MakeDirRequest request, StreamObserver<FileInfo> out) {
        Calls.unary(out, () -> {
            GuestPaths.require("path", request.getPath());
            checkMode(request.getMode());
            return info(sandboxes.guest(request.getSandboxId()).mkdir(request.getPath(),
                    request.getMode() == 0 ? 0755 : request.getMode(), request.getParents(),
                    request.getOwner().isEmpty() ? null : request.getOwner(), AGENT_DEADLINE));
        });
    }

    @Override
    public void remove(RemoveFileRequest request, StreamObserver<Empty> out) {
        Calls.unary(out, () -> {
            GuestPaths.require("path", request.getPath());
            sandboxes.guest(request.getSandboxId()).remove(request.getPath(), request.getRecursive(), AGENT_DEADLINE);
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void rename(RenameRequest request, StreamObserver<FileInfo> out) {
        Calls.unary(out, () -> {
            GuestPaths.require("from", request.getFrom());
            GuestPaths.require("to", request.getTo());
            return info(sandboxes.guest(request.getSandboxId()).rename(request.getFrom(), request.getTo(),
                    request.getOverwrite(), AGENT_DEADLINE));
        });
    }

    static void checkMode(int mode) {
        if (mode < 0 || mode > 07777) {
            throw new ArcboxException.InvalidArgument("mode: must be 0..07777, got 0" + Integer.toOctalString(mode));
        }
    }

    static FileInfo info(GuestFile f) {
        FileInfo.Builder b = FileInfo.newBuilder().setPath(f.path()).setName(f.name()).setType(f.type().label())
                .setSize(f.size()).setMode(f.mode()).setUid((int) f.uid()).setGid((int) f.gid())
                .setModifiedAt(f.modifiedAt());
        if (f.symlinkTarget() != null) {
            b.setSymlinkTarget(f.symlinkTarget());
        }
        return b.build();
    }
}
