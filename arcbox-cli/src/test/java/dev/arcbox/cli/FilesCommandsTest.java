package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.api.v1.MakeDirRequest;
import dev.arcbox.api.v1.RemoveFileRequest;
import dev.arcbox.api.v1.RenameRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesCommandsTest {

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        cli = Cli.at(daemon.socket);
        daemon.guest.dirs.put("/srv", true);
        daemon.guest.files.put("/srv/app.jar", new byte[1234]);
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    @Test
    void ls_printsATable() {
        Cli.Result r = cli.run("sandbox", "files", "ls", "sb", "/");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("""
                MODE        SIZE  MODIFIED              NAME
                drwxr-xr-x  4096  2027-01-15T08:00:00Z  srv
                drwxr-xr-x  4096  2027-01-15T08:00:00Z  tmp
                """);
    }

    @Test
    void ls_json_isAnArrayOfFileInfo() {
        Cli.Result r = cli.run("sandbox", "files", "ls", "sb", "/srv", "--json");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("[\n").contains("\"name\": \"app.jar\"", "\"size\": \"1234\"", "\"mode\": 420");
        assertThat(cli.run("sandbox", "files", "ls", "sb", "/srv", "-o", "json").out()).isEqualTo(r.out());
    }

    @Test
    void stat_mkdir_rm_mv() {
        Cli.Result stat = cli.run("sandbox", "files", "stat", "sb", "/srv/app.jar");
        assertThat(stat.out()).contains("type:     file", "size:     1234", "mode:     0644");

        assertThat(cli.run("sandbox", "files", "mkdir", "-p", "sb", "/a/b").exit()).isZero();
        assertThat(cli.run("sandbox", "files", "mv", "sb", "/srv/app.jar", "/srv/old.jar").exit()).isZero();
        assertThat(cli.run("sandbox", "files", "rm", "sb", "/a").exit()).isEqualTo(5);
        assertThat(cli.run("sandbox", "files", "rm", "-r", "sb", "/a").exit()).isZero();

        assertThat(daemon.guest.requests(MakeDirRequest.class).getFirst().getParents()).isTrue();
        assertThat(daemon.guest.requests(RenameRequest.class).getFirst().getOverwrite()).isFalse();
        assertThat(daemon.guest.requests(RemoveFileRequest.class)).extracting(RemoveFileRequest::getRecursive)
                .containsExactly(false, true);
        assertThat(daemon.guest.files).containsOnlyKeys("/srv/old.jar");
    }

    @Test
    void aMissingPath_exits3_withOneLine() {
        Cli.Result r = cli.run("sandbox", "files", "ls", "sb", "/nope");

        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("arcbox: /nope not found (NOT_FOUND)\n");
    }
}
