package dev.arcbox.client.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.arcbox.api.v1.Empty;
import dev.arcbox.api.v1.ExecExit;
import dev.arcbox.api.v1.ExecRequest;
import dev.arcbox.api.v1.ExecResponse;
import dev.arcbox.api.v1.ExecStarted;
import dev.arcbox.api.v1.ExecutionInfo;
import dev.arcbox.api.v1.FileInfo;
import dev.arcbox.api.v1.FilesServiceGrpc;
import dev.arcbox.api.v1.ListDirRequest;
import dev.arcbox.api.v1.ListDirResponse;
import dev.arcbox.api.v1.ListExecutionsRequest;
import dev.arcbox.api.v1.ListExecutionsResponse;
import dev.arcbox.api.v1.MakeDirRequest;
import dev.arcbox.api.v1.OutputChunk;
import dev.arcbox.api.v1.ProcessServiceGrpc;
import dev.arcbox.api.v1.ReadFileRequest;
import dev.arcbox.api.v1.ReadFileResponse;
import dev.arcbox.api.v1.RemoveFileRequest;
import dev.arcbox.api.v1.RenameRequest;
import dev.arcbox.api.v1.SignalExecutionRequest;
import dev.arcbox.api.v1.StatRequest;
import dev.arcbox.api.v1.WaitExecutionRequest;
import dev.arcbox.api.v1.WriteFileHeader;
import dev.arcbox.api.v1.WriteFileRequest;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A stand-in guest behind ProcessService and FilesService, for client and CLI tests. Records every
 * request. Its processes, chosen by argv[0]:
 * <ul>
 *   <li>{@code echo ARG...}: prints the args, exits 0;
 *   <li>{@code cat}: echoes stdin to stdout, exits 0 at stdin EOF;
 *   <li>{@code fail}: prints "boom" to stderr, exits 3;
 *   <li>{@code wait}: echoes stdin, prints "resize RxC" on a resize, dies of the first signal it gets,
 *       exits 0 at stdin EOF;
 *   <li>{@code big N}: writes N bytes (the byte at offset i is i mod 251) to stdout, flow-controlled.
 * </ul>
 * Its file system is in memory; "/" and "/tmp" exist. Sandbox "missing" does not exist (NOT_FOUND).
 */
public final class FakeGuest {

    public static final String MISSING = "missing";
    public static final int EXECUTION_ID = 7;
    public static final int PID = 42;
    private static final int READ_CHUNK = 64 << 10;

    /** Every request of both services, in arrival order (stdin chunks included). */
    public final List<Message> requests = new CopyOnWriteArrayList<>();
    /** The data messages' sizes of every WriteFile, in order. */
    public final List<Integer> writeChunkSizes = new CopyOnWriteArrayList<>();
    /** Files by path; directories are in {@link #dirs}. */
    public final NavigableMap<String, byte[]> files = new ConcurrentSkipListMap<>();
    public final NavigableMap<String, Boolean> dirs = new ConcurrentSkipListMap<>(Map.of("/", true, "/tmp", true));
    /** Counted down once a process has started. */
    public final CountDownLatch started = new CountDownLatch(1);
    public volatile List<ExecutionInfo> executions = List.of();

    public List<BindableService> services() {
        return List.of(new Processes(), new Files());
    }

    /** The requests of one type, in order. */
    public <T extends Message> List<T> requests(Class<T> type) {
        return requests.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Deterministic content: byte i is i mod 251. */
    public static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    private static Status notFound(String what) {
        return Status.NOT_FOUND.withDescription(what + " not found");
    }

    private final class Processes extends ProcessServiceGrpc.ProcessServiceImplBase {
        @Override
        public StreamObserver<ExecRequest> exec(StreamObserver<ExecResponse> responses) {
            return new Process((ServerCallStreamObserver<ExecResponse>) responses);
        }

        @Override
        public void listExecutions(ListExecutionsRequest request, StreamObserver<ListExecutionsResponse> response) {
            requests.add(request);
            response.onNext(ListExecutionsResponse.newBuilder().addAllExecutions(executions).build());
            response.onCompleted();
        }

        @Override
        public void wait(WaitExecutionRequest request, StreamObserver<ExecExit> response) {
            requests.add(request);
            response.onNext(ExecExit.newBuilder().setExitCode(5).build());
            response.onCompleted();
        }

        @Override
        public void signal(SignalExecutionRequest request, StreamObserver<Empty> response) {
            requests.add(request);
            if (request.getExecutionId() != EXECUTION_ID) {
                response.onError(notFound("execution " + request.getExecutionId()).asRuntimeException());
                return;
            }
            response.onNext(Empty.getDefaultInstance());
            response.onCompleted();
        }
    }

    /** One Exec call. */
    private final class Process implements StreamObserver<ExecRequest> {
        private final ServerCallStreamObserver<ExecResponse> out;
        private List<String> argv = List.of();
        private boolean done;
        private long stdoutOffset;
        private volatile Runnable onReady = () -> { };

        Process(ServerCallStreamObserver<ExecResponse> out) {
            this.out = out;
            out.setOnReadyHandler(() -> onReady.run());
        }

        @Override
        public synchronized void onNext(ExecRequest request) {
            requests.add(request);
            if (done) {
                return;
            }
            switch (request.getMsgCase()) {
                case START -> start(request.getStart().getSandboxId(), request.getStart().getCmdList());
                case ATTACH -> attach(request);
                case STDIN -> {
                    if (argv.getFirst().equals("cat") || argv.getFirst().equals("wait")) {
                        stdout(request.getStdin().toByteArray());
                    }
                }
                case STDIN_EOF -> {
                    if (argv.getFirst().equals("cat") || argv.getFirst().equals("wait")) {
                        exit(ExecExit.newBuilder().setExitCode(0));
                    }
                }
                case RESIZE -> stdout(("resize " + request.getResize().getRows() + "x" + request.getResize().getCols()
                        + "\n").getBytes(StandardCharsets.UTF_8));
                case SIGNAL -> exit(ExecExit.newBuilder().setSignal(request.getSignal())
                        .setExitCode(128 + request.getSignal()));
                case MSG_NOT_SET -> fail(Status.INVALID_ARGUMENT.withDescription("empty message"));
            }
        }

        private void start(String sandboxId, List<String> cmd) {
            if (sandboxId.equals(MISSING)) {
                fail(notFound("sandbox '" + sandboxId + "'"));
                return;
            }
            argv = cmd;
            out.onNext(ExecResponse.newBuilder()
                    .setStarted(ExecStarted.newBuilder().setExecutionId(EXECUTION_ID).setPid(PID)).build());
            started.countDown();
            switch (argv.getFirst()) {
                case "echo" -> {
                    stdout((String.join(" ", argv.subList(1, argv.size())) + "\n").getBytes(StandardCharsets.UTF_8));
                    exit(ExecExit.newBuilder().setExitCode(0));
                }
                case "fail" -> {
                    out.onNext(ExecResponse.newBuilder().setStderr(OutputChunk.newBuilder()
                            .setData(ByteString.copyFromUtf8("boom\n"))).build());
                    exit(ExecExit.newBuilder().setExitCode(3));
                }
                case "big" -> big(Integer.parseInt(argv.get(1)));
                default -> {
                    // cat and wait answer later messages
                }
            }
        }

        private void attach(ExecRequest request) {
            if (request.getAttach().getExecutionId() != EXECUTION_ID) {
                fail(notFound("execution " + request.getAttach().getExecutionId()));
                return;
            }
            argv = List.of("attached");
            out.onNext(ExecResponse.newBuilder()
                    .setStarted(ExecStarted.newBuilder().setExecutionId(EXECUTION_ID).setPid(PID)).build());
            out.onNext(ExecResponse.newBuilder().setStdout(OutputChunk.newBuilder().setOffset(10).setLostBytes(10)
                    .setData(ByteString.copyFromUtf8("attached\n"))).build());
            exit(ExecExit.newBuilder().setExitCode(0));
        }

        /** Writes n bytes in chunks, only while the client is ready for more. */
        private void big(int n) {
            byte[] all = pattern(n);
            int[] at = {0};
            Runnable pump = () -> {
                synchronized (this) {
                    while (out.isReady() && at[0] < n && !done) {
                        int len = Math.min(READ_CHUNK, n - at[0]);
                        stdout(java.util.Arrays.copyOfRange(all, at[0], at[0] + len));
                        at[0] += len;
                    }
                    if (at[0] == n && !done) {
                        exit(ExecExit.newBuilder().setExitCode(0));
                    }
                }
            };
            onReady = pump;
            pump.run();
        }

        private void stdout(byte[] data) {
            out.onNext(ExecResponse.newBuilder().setStdout(OutputChunk.newBuilder()
                    .setOffset(stdoutOffset).setData(ByteString.copyFrom(data))).build());
            stdoutOffset += data.length;
        }

        private void exit(ExecExit.Builder exit) {
            done = true;
            out.onNext(ExecResponse.newBuilder().setExit(exit.setStdoutTotal(stdoutOffset)).build());
            out.onCompleted();
        }

        private void fail(Status status) {
            done = true;
            out.onError(status.asRuntimeException());
        }

        @Override
        public void onError(Throwable t) {
            done = true;
        }

        @Override
        public void onCompleted() {
            // the client half-closed; the process goes on
        }
    }

    private final class Files extends FilesServiceGrpc.FilesServiceImplBase {
        @Override
        public StreamObserver<WriteFileRequest> writeFile(StreamObserver<FileInfo> response) {
            return new StreamObserver<>() {
                private WriteFileHeader header;
                private final ByteArrayOutputStream data = new ByteArrayOutputStream();

                @Override
                public void onNext(WriteFileRequest r) {
                    if (r.hasHeader()) {
                        requests.add(r);
                        header = r.getHeader();
                    } else {
                        writeChunkSizes.add(r.getData().size());
                        data.writeBytes(r.getData().toByteArray());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    // cancelled: nothing is stored
                }

                @Override
                public void onCompleted() {
                    if (header.getSandboxId().equals(MISSING)) {
                        response.onError(notFound("sandbox '" + MISSING + "'").asRuntimeException());
                        return;
                    }
                    String parent = parent(header.getPath());
                    if (!dirs.containsKey(parent)) {
                        if (!header.getMakeParents()) {
                            response.onError(notFound(parent).asRuntimeException());
                            return;
                        }
                        mkdirs(parent);
                    }
                    if (header.getExclusive() && files.containsKey(header.getPath())) {
                        response.onError(Status.ALREADY_EXISTS.withDescription(header.getPath() + " exists").asRuntimeException());
                        return;
                    }
                    files.put(header.getPath(), data.toByteArray());
                    response.onNext(info(header.getPath()));
                    response.onCompleted();
                }
            };
        }

        @Override
        public void readFile(ReadFileRequest request, StreamObserver<ReadFileResponse> response) {
            requests.add(request);
            byte[] data = files.get(request.getPath());
            if (data == null) {
                response.onError((dirs.containsKey(request.getPath())
                        ? Status.FAILED_PRECONDITION.withDescription(request.getPath() + ": is a directory")
                        : notFound(request.getPath())).asRuntimeException());
                return;
            }
            response.onNext(ReadFileResponse.newBuilder().setInfo(info(request.getPath())).build());
            for (int at = 0; at < data.length; at += READ_CHUNK) {
                response.onNext(ReadFileResponse.newBuilder()
                        .setData(ByteString.copyFrom(data, at, Math.min(READ_CHUNK, data.length - at))).build());
            }
            response.onCompleted();
        }

        @Override
        public void stat(StatRequest request, StreamObserver<FileInfo> response) {
            requests.add(request);
            if (!exists(request.getPath())) {
                response.onError(notFound(request.getPath()).asRuntimeException());
                return;
            }
            response.onNext(info(request.getPath()));
            response.onCompleted();
        }

        @Override
        public void listDir(ListDirRequest request, StreamObserver<ListDirResponse> response) {
            requests.add(request);
            String dir = request.getPath();
            if (!dirs.containsKey(dir)) {
                response.onError((files.containsKey(dir)
                        ? Status.FAILED_PRECONDITION.withDescription(dir + ": not a directory")
                        : notFound(dir)).asRuntimeException());
                return;
            }
            List<String> names = new ArrayList<>();
            files.keySet().stream().filter(p -> parent(p).equals(dir)).forEach(names::add);
            dirs.keySet().stream().filter(p -> !p.equals("/") && parent(p).equals(dir)).forEach(names::add);
            ListDirResponse.Builder b = ListDirResponse.newBuilder();
            names.stream().sorted().forEach(p -> b.addEntries(info(p)));
            response.onNext(b.build());
            response.onCompleted();
        }

        @Override
        public void makeDir(MakeDirRequest request, StreamObserver<FileInfo> response) {
            requests.add(request);
            if (exists(request.getPath()) && !request.getParents()) {
                response.onError(Status.ALREADY_EXISTS.withDescription(request.getPath() + " exists").asRuntimeException());
                return;
            }
            if (!dirs.containsKey(parent(request.getPath())) && !request.getParents()) {
                response.onError(notFound(parent(request.getPath())).asRuntimeException());
                return;
            }
            mkdirs(request.getPath());
            response.onNext(info(request.getPath()));
            response.onCompleted();
        }

        @Override
        public void remove(RemoveFileRequest request, StreamObserver<Empty> response) {
            requests.add(request);
            String path = request.getPath();
            if (!exists(path)) {
                response.onError(notFound(path).asRuntimeException());
                return;
            }
            boolean hasChildren = files.keySet().stream().anyMatch(p -> p.startsWith(path + "/"))
                    || dirs.keySet().stream().anyMatch(p -> p.startsWith(path + "/"));
            if (hasChildren && !request.getRecursive()) {
                response.onError(Status.FAILED_PRECONDITION.withDescription(path + ": directory not empty").asRuntimeException());
                return;
            }
            files.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
            dirs.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
            response.onNext(Empty.getDefaultInstance());
            response.onCompleted();
        }

        @Override
        public void rename(RenameRequest request, StreamObserver<FileInfo> response) {
            requests.add(request);
            byte[] data = files.get(request.getFrom());
            if (data == null) {
                response.onError(notFound(request.getFrom()).asRuntimeException());
                return;
            }
            if (files.containsKey(request.getTo()) && !request.getOverwrite()) {
                response.onError(Status.ALREADY_EXISTS.withDescription(request.getTo() + " exists").asRuntimeException());
                return;
            }
            files.remove(request.getFrom());
            files.put(request.getTo(), data);
            response.onNext(info(request.getTo()));
            response.onCompleted();
        }
    }

    private boolean exists(String path) {
        return files.containsKey(path) || dirs.containsKey(path);
    }

    private void mkdirs(String path) {
        for (String p = path; !p.equals("/"); p = parent(p)) {
            dirs.put(p, true);
        }
    }

    private FileInfo info(String path) {
        byte[] data = files.get(path);
        return FileInfo.newBuilder()
                .setPath(path)
                .setName(path.equals("/") ? "/" : path.substring(path.lastIndexOf('/') + 1))
                .setType(data != null ? "file" : "dir")
                .setSize(data != null ? data.length : 4096)
                .setMode(data != null ? 0644 : 0755)
                .setModifiedAt(1_800_000_000L)
                .build();
    }

    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }
}
