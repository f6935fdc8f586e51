package dev.arcbox.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.api.v1.FileInfo;
import dev.arcbox.api.v1.WriteFileRequest;
import dev.arcbox.client.testing.FakeGuest;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxFilesTest {

    @TempDir
    Path dir;
    private ClientFixture fx;
    private SandboxFiles files;

    @BeforeEach
    void start() throws Exception {
        fx = new ClientFixture(dir);
        files = fx.sandbox().files();
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    private static void assertCode(ThrowingRunnable call, Status.Code code, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ArcboxClientException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(message);
        });
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void write_streamsInChunksOfAtMostChunk_withTheHeaderFirst_andReadReturnsTheSameBytes() throws Exception {
        byte[] data = FakeGuest.pattern(5 * SandboxFiles.CHUNK + 123);

        FileInfo written = files.write("/data/blob", new ByteArrayInputStream(data),
                WriteOptions.DEFAULT.withMode(0600).withOwner("app").withParents().withExclusive());

        assertThat(written.getSize()).isEqualTo(data.length);
        assertThat(fx.guest.writeChunkSizes).hasSize(6).allMatch(n -> n <= SandboxFiles.CHUNK);
        var header = fx.guest.requests(WriteFileRequest.class).getFirst().getHeader();
        assertThat(header.getPath()).isEqualTo("/data/blob");
        assertThat(header.getMode()).isEqualTo(0600);
        assertThat(header.getOwner()).isEqualTo("app");
        assertThat(header.getMakeParents()).isTrue();
        assertThat(header.getExclusive()).isTrue();
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        assertThat(files.read("/data/blob", back).getSize()).isEqualTo(data.length);
        assertThat(back.toByteArray()).isEqualTo(data);
    }

    @Test
    void localFiles_goInAndOut() throws Exception {
        Path local = Files.write(dir.resolve("in"), FakeGuest.pattern(300_000));

        files.write("/f", local, WriteOptions.DEFAULT);
        files.read("/f", dir.resolve("out"));

        assertThat(Files.readAllBytes(dir.resolve("out"))).isEqualTo(Files.readAllBytes(local));
    }

    @Test
    void aFailingSource_cancelsTheWrite_andLeavesNoFile() {
        InputStream broken = new InputStream() {
            private int left = SandboxFiles.CHUNK * 2;

            @Override
            public int read() throws IOException {
                if (left-- == 0) {
                    throw new IOException("disk on fire");
                }
                return 1;
            }
        };

        assertThatThrownBy(() -> files.write("/f", broken)).isInstanceOf(IOException.class).hasMessage("disk on fire");
        assertThat(fx.guest.files).doesNotContainKey("/f");
    }

    @Test
    void errors_carryTheirCodeAndPath() throws Exception {
        files.write("/exists", new byte[] {1});
        assertCode(() -> files.readAllBytes("/nope"), Status.Code.NOT_FOUND, "/nope");
        assertCode(() -> files.write("/no/such/dir/f", new byte[] {1}), Status.Code.NOT_FOUND, "/no/such/dir");
        assertCode(() -> files.write("/exists", new ByteArrayInputStream(new byte[] {2}), WriteOptions.DEFAULT.withExclusive()),
                Status.Code.ALREADY_EXISTS, "/exists");
        assertCode(() -> files.stat("/nope"), Status.Code.NOT_FOUND, "/nope");
        assertCode(() -> files.list("/exists"), Status.Code.FAILED_PRECONDITION, "not a directory");
    }

    @Test
    void statListMkdirRenameRemove() throws Exception {
        files.mkdir("/a/b", true);
        files.write("/a/b/x", new byte[] {1, 2});
        files.write("/a/y", new byte[] {3});

        assertThat(files.list("/a")).extracting(FileInfo::getName).containsExactly("b", "y");
        assertThat(files.stat("/a/b/x").getSize()).isEqualTo(2);
        files.rename("/a/y", "/a/z", false);
        assertThat(files.list("/a")).extracting(FileInfo::getName).containsExactly("b", "z");
        assertCode(() -> files.remove("/a", false), Status.Code.FAILED_PRECONDITION, "not empty");
        files.remove("/a", true);
        assertThat(files.list("/")).extracting(FileInfo::getName).containsExactly("tmp");
    }
}
