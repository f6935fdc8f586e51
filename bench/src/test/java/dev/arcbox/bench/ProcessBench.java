package dev.arcbox.bench;

import com.google.protobuf.ByteString;
import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.ExecRequest;
import dev.arcbox.api.v1.ExecResponse;
import dev.arcbox.api.v1.ExecStart;
import dev.arcbox.api.v1.FileInfo;
import dev.arcbox.api.v1.FilesServiceGrpc;
import dev.arcbox.api.v1.NetworkSpec;
import dev.arcbox.api.v1.ProcessServiceGrpc;
import dev.arcbox.api.v1.ReadFileRequest;
import dev.arcbox.api.v1.ReadFileResponse;
import dev.arcbox.api.v1.RemoveFileRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.ResourceLimits;
import dev.arcbox.api.v1.WriteFileHeader;
import dev.arcbox.api.v1.WriteFileRequest;
import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.testing.TestRun;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ProcessService and FilesService figures through a real arcboxd: exec round trip, stdout throughput, upload and
 * download of a 256 MiB and a 1 GiB file (SHA-256 checked), and the daemon's peak RSS (VmHWM) meanwhile. Prints
 * and writes bench/target/process-bench.txt; removes what it created.
 */
@Tag("bench")
class ProcessBench {

    private static final int MIB = 1 << 20;
    private final StringBuilder report = new StringBuilder();

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void processAndFilesFigures() throws Exception {
        TestRun.assumeQemuHost();
        String netns = "abx-p" + TestRun.id();
        Path dataDir = TestRun.baseDir().resolve("process-bench");
        line("arcbox process/files bench, %s, %d cpus, load %s", Instant.now(), Runtime.getRuntime().availableProcessors(),
                Bench.uptime());
        Bench.run("ip", "netns", "add", netns);
        BenchDaemon daemon = null;
        try {
            Bench.run("ip", "-n", netns, "link", "set", "lo", "up");
            daemon = new BenchDaemon(dataDir, netns, TestRun.ramDir(), "max_sandboxes = 4").start();
            line("arcboxd pid %d, jvm %s", daemon.pid(), String.join(" ", BenchDaemon.JVM_OPTIONS));
            String box = "pb" + TestRun.vmId();
            daemon.sandboxes().create(CreateSandboxRequest.newBuilder().setId(box).setWait(true)
                    .setLimits(ResourceLimits.newBuilder().setVcpus(1).setMemoryMib(256))
                    .setNetwork(NetworkSpec.newBuilder().setMode("none")).build());
            line("daemon VmHWM with one ready sandbox                 %8.1f MiB", hwm(daemon) / 1024.0);
            execRoundTrip(daemon, box);
            stdoutThroughput(daemon, box);
            for (String mib : System.getProperty("bench.transfers", "256,1024").split(",")) {
                if (!mib.isBlank()) {
                    transfer(daemon, box, Long.parseLong(mib.strip()) * MIB);
                }
            }
            daemon.sandboxes().remove(RemoveSandboxRequest.newBuilder().setId(box).setForce(true).build());
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            Bench.runQuietly("ip", "netns", "del", netns);
            FileTree.delete(dataDir);
            line("load at end: %s", Bench.uptime());
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target/process-bench.txt"), report);
        }
    }

    private void execRoundTrip(BenchDaemon daemon, String box) throws Exception {
        for (int i = 0; i < 20; i++) {
            exec(daemon.channel(), box, "true");
        }
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            long t0 = System.nanoTime();
            exec(daemon.channel(), box, "true");
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        Collections.sort(ms);
        line("Exec `true` round trip via ProcessService (100 after 20 warm)  p50 %7.2f ms  p99 %7.2f ms",
                ms.get(49), ms.get(98));
    }

    private void stdoutThroughput(BenchDaemon daemon, String box) throws Exception {
        long t0 = System.nanoTime();
        long bytes = exec(daemon.channel(), box, "dd", "if=/dev/zero", "bs=65536", "count=1024");
        double s = (System.nanoTime() - t0) / 1e9;
        line("stdout throughput via ProcessService (64 MiB of dd bs=64k) %6.1f MiB/s (%d bytes; DriverBench, agent alone:"
                + " 19.8 MiB/s)", bytes / (double) MIB / s, bytes);
    }

    private void transfer(BenchDaemon daemon, String box, long size) throws Exception {
        String path = "/root/bench-" + (size / MIB) + ".bin";
        long t0 = System.nanoTime();
        String[] sent = new String[1];
        FileInfo info = upload(daemon.channel(), box, path, size, 256 * 1024, sent);
        double up = (System.nanoTime() - t0) / 1e9;
        if (info.getSize() != size) {
            throw new IllegalStateException("uploaded " + info.getSize() + " of " + size);
        }
        t0 = System.nanoTime();
        String got = download(daemon.channel(), box, path, size);
        double down = (System.nanoTime() - t0) / 1e9;
        if (!got.equals(sent[0])) {
            throw new IllegalStateException("sha256 differs: sent " + sent[0] + ", read back " + got);
        }
        FilesServiceGrpc.newBlockingStub(daemon.channel()).withDeadlineAfter(1, TimeUnit.MINUTES)
                .remove(RemoveFileRequest.newBuilder().setSandboxId(box).setPath(path).build());
        line("%4d MiB file: upload %7.1f MiB/s, download %7.1f MiB/s, sha256 equal; daemon VmHWM after %7.1f MiB",
                size / MIB, size / (double) MIB / up, size / (double) MIB / down, hwm(daemon) / 1024.0);
    }

    /** Runs a command through ProcessService.Exec; returns the stdout bytes. */
    private static long exec(ManagedChannel channel, String box, String... cmd) throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        long[] bytes = new long[1];
        var requests = ProcessServiceGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES)
                .exec(new io.grpc.stub.StreamObserver<ExecResponse>() {
                    @Override
                    public void onNext(ExecResponse r) {
                        if (r.hasStdout()) {
                            bytes[0] += r.getStdout().getData().size();
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(bytes[0]);
                    }
                });
        requests.onNext(ExecRequest.newBuilder().setStart(ExecStart.newBuilder().setSandboxId(box)
                .addAllCmd(List.of(cmd))).build());
        requests.onCompleted();
        return done.get(10, TimeUnit.MINUTES);
    }

    private static FileInfo upload(ManagedChannel channel, String box, String path, long size, int chunk, String[] sha256)
            throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        CompletableFuture<FileInfo> result = new CompletableFuture<>();
        Semaphore ready = new Semaphore(0);
        AtomicReference<ClientCallStreamObserver<WriteFileRequest>> requests = new AtomicReference<>();
        FilesServiceGrpc.newStub(channel).withDeadlineAfter(30, TimeUnit.MINUTES)
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
        out.onNext(WriteFileRequest.newBuilder().setHeader(WriteFileHeader.newBuilder().setSandboxId(box).setPath(path))
                .build());
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
        FileInfo info = result.get(10, TimeUnit.MINUTES);
        sha256[0] = HexFormat.of().formatHex(sha.digest());
        return info;
    }

    private static String download(ManagedChannel channel, String box, String path, long size) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Iterator<ReadFileResponse> it = FilesServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.MINUTES)
                .readFile(ReadFileRequest.newBuilder().setSandboxId(box).setPath(path).build());
        long got = 0;
        while (it.hasNext()) {
            ReadFileResponse r = it.next();
            if (r.hasData()) {
                for (var b : r.getData().asReadOnlyByteBufferList()) {
                    sha.update(b);
                }
                got += r.getData().size();
            }
        }
        if (got != size) {
            throw new IllegalStateException("read back " + got + " of " + size + " bytes");
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static long hwm(BenchDaemon daemon) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + daemon.pid() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmHWM");
    }

    private void line(String format, Object... args) {
        String s = String.format(Locale.ROOT, format, args);
        System.out.println(s);
        report.append(s).append('\n');
    }
}
