package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.client.SandboxFiles;
import dev.arcbox.client.testing.FakeGuest;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpCommandTest {

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;
    private FakeGuest guest;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        cli = Cli.at(daemon.socket);
        guest = daemon.guest;
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    @Test
    void endpoints_parseLikeDockerCp() {
        assertThat(CpCommand.Endpoint.parse("sb:/a")).isEqualTo(new CpCommand.Endpoint("sb", "/a"));
        assertThat(CpCommand.Endpoint.parse("sb:rel")).isEqualTo(new CpCommand.Endpoint("sb", "rel"));
        assertThat(CpCommand.Endpoint.parse("./a:b").remote()).isFalse();
        assertThat(CpCommand.Endpoint.parse("/abs/a:b").remote()).isFalse();
        assertThat(CpCommand.Endpoint.parse("dir/a:b").remote()).isFalse();
        assertThat(CpCommand.Endpoint.parse("plain").remote()).isFalse();
        assertThat(CpCommand.Endpoint.parse(":x").remote()).isFalse();
        assertThat(CpCommand.Endpoint.parse("-").stdio()).isTrue();
    }

    @Test
    void aFileGoesInInChunks_andComesBackTheSame_withItsMode() throws Exception {
        byte[] data = FakeGuest.pattern(3 * SandboxFiles.CHUNK + 17);
        Path local = Files.write(dir.resolve("blob.bin"), data);
        Files.setPosixFilePermissions(local, PosixFilePermissions.fromString("rwxr-x---"));

        Cli.Result in = cli.run("sandbox", "cp", local.toString(), "sb:/tmp/blob.bin");
        Cli.Result out = cli.run("sandbox", "cp", "sb:/tmp/blob.bin", dir.resolve("back.bin").toString());

        assertThat(in.exit()).as(in.err()).isZero();
        assertThat(out.exit()).as(out.err()).isZero();
        assertThat(guest.files.get("/tmp/blob.bin")).isEqualTo(data);
        assertThat(guest.writeChunkSizes).hasSize(4).allMatch(n -> n <= SandboxFiles.CHUNK);
        assertThat(guest.requests(dev.arcbox.api.v1.WriteFileRequest.class).getFirst().getHeader().getMode())
                .isEqualTo(0750);
        assertThat(Files.readAllBytes(dir.resolve("back.bin"))).isEqualTo(data);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("partial"));
        }
    }

    @Test
    void intoADirectory_eitherSide_keepsTheName() throws Exception {
        Path local = Files.writeString(dir.resolve("notes.txt"), "n");
        Files.createDirectories(dir.resolve("down"));

        assertThat(cli.run("sandbox", "cp", local.toString(), "sb:/tmp").exit()).isZero();
        assertThat(cli.run("sandbox", "cp", local.toString(), "sb:/new/").exit()).isEqualTo(3);
        assertThat(cli.run("sandbox", "cp", "-p", local.toString(), "sb:/new/").exit()).isZero();
        assertThat(cli.run("sandbox", "cp", "sb:/tmp/notes.txt", dir.resolve("down").toString()).exit()).isZero();

        assertThat(guest.files).containsKeys("/tmp/notes.txt", "/new/notes.txt");
        assertThat(dir.resolve("down/notes.txt")).hasContent("n");
    }

    @Test
    void dash_isStdinAndStdout() {
        cli.stdin = new ByteArrayInputStream(new byte[] {0, 1, 2, (byte) 0xff});

        assertThat(cli.run("sandbox", "cp", "-", "sb:/tmp/raw").exit()).isZero();
        Cli.Result out = cli.run("sandbox", "cp", "sb:/tmp/raw", "-");

        assertThat(out.outBytes()).containsExactly(0, 1, 2, 0xff);
        assertThat(cli.run("sandbox", "cp", "-", "sb:/tmp/").exit()).isEqualTo(2);
    }

    @Test
    void errors_areOneLine_withTheTablesCodes() throws Exception {
        Cli.Result missingRemote = cli.run("sandbox", "cp", "sb:/nope", dir.resolve("x").toString());
        Cli.Result missingLocal = cli.run("sandbox", "cp", dir.resolve("nope").toString(), "sb:/tmp/x");
        Cli.Result bothLocal = cli.run("sandbox", "cp", "a", "b");
        Cli.Result bothRemote = cli.run("sandbox", "cp", "a:/x", "b:/y");
        Cli.Result relative = cli.run("sandbox", "cp", "a", "sb:rel");
        Cli.Result noSandbox = cli.run("sandbox", "cp", Files.writeString(dir.resolve("f"), "f").toString(),
                FakeGuest.MISSING + ":/tmp/f");

        assertThat(missingRemote.exit()).isEqualTo(3);
        assertThat(missingRemote.err()).isEqualTo("arcbox: /nope not found (NOT_FOUND)\n");
        assertThat(Files.exists(dir.resolve("x"))).isFalse();
        assertThat(missingLocal.exit()).isEqualTo(3);
        assertThat(missingLocal.err()).isEqualTo("arcbox: cp: no such file or directory: " + dir.resolve("nope") + "\n");
        assertThat(bothLocal.exit()).isEqualTo(2);
        assertThat(bothLocal.err()).contains("exactly one of SRC and DST");
        assertThat(bothRemote.exit()).isEqualTo(2);
        assertThat(relative.exit()).isEqualTo(2);
        assertThat(relative.err()).contains("must be absolute");
        assertThat(noSandbox.exit()).isEqualTo(3);
        assertThat(noSandbox.err()).isEqualTo("arcbox: sandbox 'missing' not found (NOT_FOUND)\n");
    }

    @Test
    void directories_needR_andThenGoBothWays() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/sub"));
        Files.writeString(dir.resolve("tree/a.txt"), "a");
        Files.writeString(tree.resolve("b.txt"), "b");

        Cli.Result noR = cli.run("sandbox", "cp", dir.resolve("tree").toString(), "sb:/tmp/");
        Cli.Result up = cli.run("sandbox", "cp", "-r", dir.resolve("tree").toString(), "sb:/tmp/");
        Cli.Result downNoR = cli.run("sandbox", "cp", "sb:/tmp/tree", dir.resolve("back").toString());
        Cli.Result down = cli.run("sandbox", "cp", "-r", "sb:/tmp/tree", dir.resolve("back").toString());

        assertThat(noR.exit()).isEqualTo(2);
        assertThat(noR.err()).endsWith("is a directory (use -r)\n");
        assertThat(up.exit()).as(up.err()).isZero();
        assertThat(guest.files).containsKeys("/tmp/tree/a.txt", "/tmp/tree/sub/b.txt");
        assertThat(downNoR.exit()).isEqualTo(2);
        assertThat(down.exit()).as(down.err()).isZero();
        assertThat(dir.resolve("back/a.txt")).hasContent("a");
        assertThat(dir.resolve("back/sub/b.txt")).hasContent("b");
    }
}
