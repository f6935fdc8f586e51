package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.CreateSandboxResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdleFlagsTest {

    @TempDir
    Path dir;
    private FakeDaemon daemon;
    private Cli cli;

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.start(dir.resolve("arcbox.sock"));
        daemon.createResponse = CreateSandboxResponse.newBuilder().setId("sb-1").setState("starting").build();
        cli = Cli.at(daemon.socket);
    }

    @AfterEach
    void stop() throws Exception {
        daemon.close();
    }

    @Test
    void create_sendsIdleTimeoutAndAction() {
        Cli.Result r = cli.run("sandbox", "create", "--idle-timeout", "300", "--idle-action", "stop");

        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("sb-1\n");
        CreateSandboxRequest sent = daemon.requests(CreateSandboxRequest.class).getFirst();
        assertThat(sent.getIdleTimeoutSeconds()).isEqualTo(300);
        assertThat(sent.getIdleAction()).isEqualTo("stop");
    }

    @Test
    void create_withoutIdleFlags_leavesThemUnset() {
        cli.run("sandbox", "create");

        CreateSandboxRequest sent = daemon.requests(CreateSandboxRequest.class).getFirst();
        assertThat(sent.getIdleTimeoutSeconds()).isZero();
        assertThat(sent.getIdleAction()).isEmpty();
    }

    @Test
    void create_negativeIdleTimeout_isAUsageError() {
        Cli.Result r = cli.run("sandbox", "create", "--idle-timeout", "-5");

        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(daemon.requests(CreateSandboxRequest.class)).isEmpty();
    }
}
