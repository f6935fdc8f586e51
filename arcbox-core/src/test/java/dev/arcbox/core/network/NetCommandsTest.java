package dev.arcbox.core.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs harmless coreutils in this process's own namespace; no root needed. */
class NetCommandsTest {

    private final NetCommands host = NetCommands.host();

    @Test
    void run_returnsOutput_andPassesStdin() {
        NetCommands.Result result = host.run(List.of("cat"), "hello\n");

        assertThat(result.ok()).isTrue();
        assertThat(result.stdout()).isEqualTo("hello\n");
    }

    @Test
    void argv_isNeverInterpretedByAShell() {
        assertThat(host.run("echo", "$(id)", ";", "*").stdout()).isEqualTo("$(id) ; *\n");
    }

    @Test
    void nonZeroExit_throwsHostFailureNamingTheCommandAndItsStderr() {
        assertThatThrownBy(() -> host.run("ls", "/nonexistent-abx"))
                .isInstanceOf(ArcboxException.HostFailure.class)
                .hasMessageStartingWith("running `ls /nonexistent-abx`: exit 2: ")
                .hasMessageContaining("No such file or directory");
    }

    @Test
    void attempt_returnsAFailureInsteadOfThrowing() {
        NetCommands.Result result = host.attempt("false");

        assertThat(result.ok()).isFalse();
        assertThat(result.exitCode()).isEqualTo(1);
    }

    @Test
    void aCommandPastItsDeadline_isKilledAndNamed() {
        NetCommands quick = host.withTimeout(Duration.ofMillis(200));

        assertThatThrownBy(() -> quick.run("sleep", "30"))
                .isInstanceOf(ArcboxException.DeadlineExceeded.class)
                .hasMessage("running `sleep 30`: no exit after 200 ms, killed");
    }

    @Test
    void output_isBounded() {
        NetCommands.Result result = host.run("head", "-c", String.valueOf(NetCommands.MAX_STDOUT + 100_000), "/dev/zero");

        assertThat(result.stdout()).hasSize(NetCommands.MAX_STDOUT);
        assertThat(result.truncated()).isTrue();
    }

    @Test
    void aMissingTool_isUnsupportedNamingIt() {
        assertThatThrownBy(() -> host.run("abx-no-such-tool"))
                .isInstanceOf(ArcboxException.Unsupported.class)
                .hasMessageStartingWith("host networking needs `abx-no-such-tool`");
    }

    @Test
    void netnsNames_areChecked() {
        assertThatThrownBy(() -> NetCommands.inNetns("../etc"))
                .isInstanceOf(ArcboxException.InvalidArgument.class);
        assertThat(NetCommands.inNetns("abx-n1a2b3c").netns()).contains("abx-n1a2b3c");
    }
}
