package dev.arcbox.core.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host side of file transfers and listings against a scripted agent: credit both ways, errors, batches. */
class AgentFilesTest {

    private static final Duration DEADLINE = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    private AgentHarness harness;

    @BeforeEach
    void open() throws IOException {
        harness = new AgentHarness(dir);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static byte[] info(String name, int type, long size) {
        return new TlvPayload.Builder().string(Tag.NAME, name).u8(Tag.FTYPE, type).u64(Tag.SIZE, size)
                .u32(Tag.MODE, 0644).build();
    }

    static byte[] credit(int bytes) {
        return TlvPayload.intBytes(bytes);
    }

    @Test
    void upload_waitsForTheGuestsCredit_beforeEachByte_thenCommits() throws Exception {
        var c = harness.connect();
        CompletableFuture<FileUpload> opening = harness.async(() -> c.client().writeFile(
                new FileWriteRequest("/tmp/f", 0600, "nobody", true, false, false), DEADLINE));
        Frame open = c.agent().take(FrameType.FILE_WRITE);
        TlvPayload t = TlvPayload.parse(open.payload());
        assertThat(t.string(Tag.PATH, 100)).isEqualTo("/tmp/f");
        assertThat(t.string(Tag.OWNER, 100)).isEqualTo("nobody");
        int s = open.stream();
        c.agent().send(FrameType.CREDIT, s, credit(100));
        FileUpload upload = opening.get(5, TimeUnit.SECONDS);

        CompletableFuture<Void> writing = harness.async(() -> {
            upload.write(new byte[250], 0, 250);
            return null;
        });
        assertThat(c.agent().take(FrameType.FILE_DATA, s).payload()).hasSize(100);
        Awaitility.await().during(Duration.ofMillis(300)).atMost(DEADLINE).until(() -> !writing.isDone());
        c.agent().send(FrameType.CREDIT, s, credit(150));
        int more = 0;
        while (more < 150) {
            more += c.agent().take(FrameType.FILE_DATA, s).payload().length;
        }
        writing.get(5, TimeUnit.SECONDS);
        assertThat(more).isEqualTo(150);

        CompletableFuture<GuestFile> finishing = harness.async(() -> upload.finish(DEADLINE));
        assertThat(c.agent().take(FrameType.FILE_END, s).payload()).isEmpty();
        c.agent().send(FrameType.FILE_INFO, s, info("f", 1, 250));
        GuestFile file = finishing.get(5, TimeUnit.SECONDS);
        assertThat(file.path()).isEqualTo("/tmp/f");
        assertThat(file.size()).isEqualTo(250);
    }

    @Test
    void upload_refusedByTheGuest_mapsItsErrno_andAbortSendsAbort() throws Exception {
        var c = harness.connect();
        CompletableFuture<FileUpload> opening = harness.async(() -> c.client().writeFile(
                new FileWriteRequest("/tmp/f", 0644, null, false, true, false), DEADLINE));
        int s = c.agent().take(FrameType.FILE_WRITE).stream();
        c.agent().error(s, 17, "writing /tmp/f: File exists");
        assertThatThrownBy(opening::join).hasCauseInstanceOf(ArcboxException.AlreadyExists.class)
                .hasMessageContaining("/tmp/f");

        CompletableFuture<FileUpload> second = harness.async(() -> c.client().writeFile(
                new FileWriteRequest("/tmp/g", 0644, null, false, false, false), DEADLINE));
        int s2 = c.agent().take(FrameType.FILE_WRITE).stream();
        c.agent().send(FrameType.CREDIT, s2, credit(10));
        second.get(5, TimeUnit.SECONDS).abort();
        assertThat(TlvPayload.parse(c.agent().take(FrameType.FILE_END, s2).payload()).u8(Tag.ABORT, 0)).isEqualTo(1);
    }

    @Test
    void download_readsWithinItsWindow_returnsCredit_andChecksTheSize() throws Exception {
        var c = harness.connect();
        CompletableFuture<FileDownload> opening = harness.async(() -> c.client().readFile("/data", 5, 0, DEADLINE));
        Frame read = c.agent().take(FrameType.FILE_READ);
        TlvPayload t = TlvPayload.parse(read.payload());
        assertThat(t.u64(Tag.OFFSET, 0)).isEqualTo(5);
        int window = t.u32(Tag.WINDOW, 0);
        assertThat(window).isEqualTo(FileDownload.WINDOW);
        int s = read.stream();
        c.agent().send(FrameType.FILE_INFO, s, info("data", 1, 3 * window));
        FileDownload download = opening.get(5, TimeUnit.SECONDS);
        assertThat(download.file().path()).isEqualTo("/data");

        byte[] chunk = new byte[window / 4];
        for (int i = 0; i < 4; i++) {
            c.agent().send(FrameType.FILE_DATA, s, chunk);
        }
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        got.write(download.readNBytes(window));
        Awaitility.await("credit for what was read").atMost(DEADLINE)
                .until(() -> c.agent().outputCredit(s) >= window / 2);
        c.agent().send(FrameType.FILE_DATA, s, new byte[10]);
        c.agent().send(FrameType.FILE_END, s, new TlvPayload.Builder().u64(Tag.SIZE, window + 11).build());
        got.write(download.readNBytes(10));
        assertThatThrownBy(download::read).isInstanceOf(IOException.class).hasMessageContaining("arrived");
    }

    @Test
    void download_beyondTheGrantedCredit_endsTheConnection() throws Exception {
        var c = harness.connect();
        CompletableFuture<FileDownload> opening = harness.async(() -> c.client().readFile("/data", 0, 0, DEADLINE));
        int s = c.agent().take(FrameType.FILE_READ).stream();
        c.agent().send(FrameType.FILE_INFO, s, info("data", 1, 0));
        opening.get(5, TimeUnit.SECONDS);
        c.agent().send(FrameType.FILE_DATA, s, new byte[FileDownload.WINDOW]);
        c.agent().send(FrameType.FILE_DATA, s, new byte[1]);
        Awaitility.await().atMost(DEADLINE).until(() -> !c.client().isOpen());
    }

    @Test
    void list_joinsBatches_sortsByName_andGivesFullPaths() throws Exception {
        var c = harness.connect();
        var listing = harness.async(() -> c.client().list("/d", DEADLINE));
        int s = c.agent().take(FrameType.FILE_LIST).stream();
        c.agent().send(FrameType.FILE_LIST_ACK, s, new TlvPayload.Builder().bytes(Tag.ENTRY, info("b", 1, 1))
                .u8(Tag.MORE, 1).build());
        c.agent().send(FrameType.FILE_LIST_ACK, s, new TlvPayload.Builder().bytes(Tag.ENTRY, info("a", 2, 0)).build());
        var entries = listing.get(5, TimeUnit.SECONDS);
        assertThat(entries).extracting(GuestFile::path).containsExactly("/d/a", "/d/b");
        assertThat(entries.getFirst().type()).isEqualTo(GuestFile.Type.DIR);
    }

    @Test
    void waitAndSignalById_andTheExecutionList() throws Exception {
        var c = harness.connect();
        var waiting = harness.async(() -> c.client().waitFor(7, DEADLINE));
        Frame w = c.agent().take(FrameType.WAIT);
        assertThat(TlvPayload.parse(w.payload()).u32(Tag.EXEC_ID, 0)).isEqualTo(7);
        c.agent().send(FrameType.EXIT, w.stream(), new TlvPayload.Builder().u32(Tag.SIGNAL, 15).u8(Tag.TIMED_OUT, 0)
                .u64(Tag.STDOUT_TOTAL, 4).u64(Tag.STDERR_TOTAL, 0).build());
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo(new ExitStatus(null, 15, false, 4, 0));

        var signalling = harness.async(() -> {
            c.client().signal(9, 2, DEADLINE);
            return null;
        });
        Frame g = c.agent().take(FrameType.SIGNAL);
        c.agent().error(g.stream(), 2, "no such execution");
        assertThatThrownBy(signalling::join).hasCauseInstanceOf(ArcboxException.NotFound.class);
        assertThatThrownBy(() -> c.client().signal(9, 0, DEADLINE)).isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageStartingWith("signal:");
    }
}
