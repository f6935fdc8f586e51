package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketResolutionTest {

    @TempDir
    Path dir;

    private static Path resolved(Map<String, String> env, String... args) {
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream());
        Arcbox arcbox = Cli.withEnv(env).arcbox(nowhere, nowhere);
        Arcbox.commandLine(arcbox).parseArgs(args);
        return arcbox.socket();
    }

    @Test
    void flag_beatsEnv_beatsDefault() {
        Map<String, String> env = Map.of(Arcbox.SOCKET_ENV, "/env.sock");

        assertThat(resolved(env, "--socket", "/flag.sock", "sandbox", "ls")).isEqualTo(Path.of("/flag.sock"));
        assertThat(resolved(env, "sandbox", "ls", "--socket", "/flag.sock")).isEqualTo(Path.of("/flag.sock"));
        assertThat(resolved(env, "sandbox", "ls")).isEqualTo(Path.of("/env.sock"));
        assertThat(resolved(Map.of(), "sandbox", "ls")).isEqualTo(Path.of("/run/arcbox/arcbox.sock"));
        assertThat(resolved(Map.of(Arcbox.SOCKET_ENV, ""), "sandbox", "ls")).isEqualTo(Arcbox.DEFAULT_SOCKET);
    }

    @Test
    void calls_goToTheResolvedDaemon() throws Exception {
        try (FakeDaemon fromEnv = FakeDaemon.start(dir.resolve("env.sock"));
                FakeDaemon fromFlag = FakeDaemon.start(dir.resolve("flag.sock"))) {
            Cli cli = Cli.at(fromEnv.socket);

            assertThat(cli.run("sandbox", "ls").exit()).isZero();
            assertThat(cli.run("sandbox", "ls", "--socket", fromFlag.socket.toString()).exit()).isZero();
            assertThat(cli.run("--socket", fromFlag.socket.toString(), "system", "info").exit()).isZero();

            assertThat(fromEnv.requests).hasSize(1);
            assertThat(fromFlag.requests).hasSize(2);
        }
    }
}
