package dev.arcbox.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store across real processes: the data dir lock held by another arcboxd, and a JVM halted mid-operation. */
class StoreProcessTest {

    @TempDir
    Path dir;

    @Test
    void dataDirHeldByAnotherProcess_isRefusedNamingItsPid_untilThatProcessCloses() throws Exception {
        Process child = child("hold");
        try {
            String line = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertThat(line).as("child output").startsWith("open ");

            assertThatThrownBy(() -> Store.open(dir, Fixtures.FAST))
                    .isInstanceOf(ArcboxException.FailedPrecondition.class)
                    .hasMessage("data dir " + dir.toRealPath() + " is in use by another arcboxd (pid " + child.pid() + ")");

            child.getOutputStream().close();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isZero();
        } finally {
            child.destroyForcibly();
        }
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            assertThat(store.listSandboxes(SandboxFilter.ALL)).isEmpty();
        }
    }

    @Test
    void processHaltedAtACrashPoint_leavesAnUnfinishedOperation_andReleasesTheDataDir() throws Exception {
        Process child = child("crash");
        try {
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as(new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo(StoreChild.HALT_STATUS);
        } finally {
            child.destroyForcibly();
        }

        try (Store store = Store.open(dir, Fixtures.FAST)) {
            assertThat(store.findSandboxByUid("aaaa0001")).get().extracting(SandboxRow::state).isEqualTo("starting");
            assertThat(store.journal().unfinished()).singleElement().satisfies(op -> {
                assertThat(op.kind()).isEqualTo("create");
                assertThat(op.doneSteps()).containsExactly("create-tap");
                assertThat(op.step("boot").orElseThrow().status()).isEqualTo(StepRecord.Status.STARTED);
                assertThat(op.crashPoint()).isEqualTo("create.boot.before");
            });
        }
    }

    private Process child(String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xshare:auto",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), StoreChild.class.getName(),
                mode, dir.toString()))
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .start();
    }
}
