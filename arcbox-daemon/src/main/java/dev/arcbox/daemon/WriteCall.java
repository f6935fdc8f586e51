package dev.arcbox.daemon;

import dev.arcbox.api.v1.FileInfo;
import dev.arcbox.api.v1.WriteFileHeader;
import dev.arcbox.api.v1.WriteFileRequest;
import dev.arcbox.core.ArcboxException;
import dev.arcbox.core.agent.FileUpload;
import dev.arcbox.core.agent.FileWriteRequest;
import dev.arcbox.core.metrics.Telemetry;
import dev.arcbox.core.sandbox.SandboxService;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * One FilesService.WriteFile call: the header opens the upload in the guest, each data chunk is written within the
 * agent's credit before the next message is requested (so a 256 MiB upload holds one chunk in the daemon), the
 * client's half-close commits, a cancel or error aborts (the guest removes its temporary file).
 */
final class WriteCall implements StreamObserver<WriteFileRequest> {

    static final int MAX_CHUNK = 1 << 20;

    private final SandboxService sandboxes;
    private final ServerCallStreamObserver<FileInfo> out;
    private final SerialCall serial;
    private FileUpload upload;
    private boolean ended;

    WriteCall(SandboxService sandboxes, ServerCallStreamObserver<FileInfo> out) {
        this.sandboxes = sandboxes;
        this.out = out;
        this.serial = new SerialCall(out, "write-file");
        out.setOnCancelHandler(() -> serial.last(this::abort));
        serial.start();
    }

    @Override
    public void onNext(WriteFileRequest message) {
        serial.message(() -> handle(message));
    }

    @Override
    public void onError(Throwable t) {
        serial.last(this::abort);
    }

    @Override
    public void onCompleted() {
        serial.last(this::commit);
    }

    private void handle(WriteFileRequest m) {
        if (ended) {
            throw new SerialCall.Ended();
        }
        switch (m.getMsgCase()) {
            case HEADER -> {
                if (upload != null) {
                    fail(new ArcboxException.InvalidArgument("header: only the first message may be the header"));
                }
                open(m.getHeader());
            }
            case DATA -> {
                if (upload == null) {
                    fail(new ArcboxException.InvalidArgument("header: the first message must be the header"));
                }
                if (m.getData().size() > MAX_CHUNK) {
                    fail(new ArcboxException.InvalidArgument("data: chunks of at most " + MAX_CHUNK + " bytes, got "
                            + m.getData().size()));
                }
                try {
                    byte[] bytes = m.getData().toByteArray();
                    upload.write(bytes, 0, bytes.length);
                    sandboxes.telemetry().fileBytes(Telemetry.FileDirection.WRITE, bytes.length);
                } catch (RuntimeException e) {
                    fail(e);
                }
            }
            case MSG_NOT_SET -> fail(new ArcboxException.InvalidArgument("msg: the message carries nothing"));
        }
    }

    private void open(WriteFileHeader h) {
        try {
            FileWriteRequest request = new FileWriteRequest(h.getPath(), h.getMode() == 0 ? 0644 : h.getMode(),
                    h.getOwner().isEmpty() ? null : h.getOwner(), h.getMakeParents(), h.getExclusive(), h.getAppend());
            upload = sandboxes.guest(h.getSandboxId()).writeFile(request, FilesApi.AGENT_DEADLINE);
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void commit() {
        if (ended) {
            return;
        }
        if (upload == null) {
            fail(new ArcboxException.InvalidArgument("header: the call carried no header"));
        }
        try {
            FileInfo info = FilesApi.info(upload.finish(FilesApi.AGENT_DEADLINE));
            ended = true;
            out.onNext(info);
            out.onCompleted();
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void abort() {
        if (!ended && upload != null) {
            upload.abort();
        }
        ended = true;
    }

    private void fail(RuntimeException error) {
        if (upload != null) {
            upload.abort();
        }
        if (!ended && !out.isCancelled()) {
            out.onError(Statuses.toStatus(error));
        }
        ended = true;
        throw new SerialCall.Ended();
    }
}
