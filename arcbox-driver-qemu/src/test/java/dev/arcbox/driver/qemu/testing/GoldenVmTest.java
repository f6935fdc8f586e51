package dev.arcbox.driver.qemu.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.core.agent.ExecRequest;
import dev.arcbox.core.agent.ExecResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@Tag("vm")
@ExtendWith(GoldenVm.class)
class GoldenVmTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static ExecResult sh(GoldenVm.Fork fork, String script) {
        return fork.agent().exec(ExecRequest.of("sh", "-c", script), DEADLINE).collect(DEADLINE, 4096);
    }

    @Test
    void eachTestGetsItsOwnFork_firstWrites(GoldenVm.Fork fork) {
        assertThat(sh(fork, "test -e /root/written-by-a-test").status().exitCode()).isEqualTo(1);
        assertThat(sh(fork, "touch /root/written-by-a-test").status().exitCode()).isZero();
    }

    @Test
    void eachTestGetsItsOwnFork_secondWrites(GoldenVm.Fork fork) {
        assertThat(sh(fork, "test -e /root/written-by-a-test").status().exitCode()).isEqualTo(1);
        assertThat(sh(fork, "touch /root/written-by-a-test").status().exitCode()).isZero();
    }

    @Test
    void twoForksInOneTest_areDistinctMachines(GoldenVm.Fork a, GoldenVm.Fork b) {
        assertThat(a.vm().pid()).isNotEqualTo(b.vm().pid());
        sh(a, "echo a > /tmp/who");
        assertThat(new String(sh(b, "cat /tmp/who 2>/dev/null; echo end").stdout(), StandardCharsets.UTF_8))
                .isEqualTo("end\n");
    }
}
