package dev.arcbox.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.RemoveSandboxRequest;
import dev.arcbox.api.v1.RestoreRequest;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxTest {

    @TempDir
    Path dir;
    private ClientFixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new ClientFixture(dir);
    }

    @AfterEach
    void stop() {
        fx.close();
    }

    @Test
    void newSandbox_sendsTheFluentFields_waitsForReady_andCloseRemovesIt() throws Exception {
        try (Sandbox s = fx.client.newSandbox().id("web").vcpus(2).memoryMib(512).label("app", "x").env("K", "V")
                .network("none").ttl(Duration.ofMinutes(10)).diskSize(4L << 30).create()) {
            assertThat(s.id()).isEqualTo("web");
            assertThat(s.awaitReady(Duration.ofSeconds(5))).isSameAs(s);
        }

        CreateSandboxRequest sent = fx.sandboxes.requests(CreateSandboxRequest.class).getFirst();
        assertThat(sent.getWait()).isTrue();
        assertThat(sent.getLimits().getVcpus()).isEqualTo(2);
        assertThat(sent.getLimits().getMemoryMib()).isEqualTo(512);
        assertThat(sent.getLabelsMap()).containsEntry("app", "x");
        assertThat(sent.getEnvMap()).containsEntry("K", "V");
        assertThat(sent.getTtlSeconds()).isEqualTo(600);
        assertThat(sent.getDiskSize()).isEqualTo(4L << 30);
        assertThat(fx.sandboxes.requests(RemoveSandboxRequest.class)).extracting(RemoveSandboxRequest::getForce)
                .containsExactly(true);
        assertThat(fx.sandboxes.live).doesNotContain("web");
    }

    @Test
    void close_ofASandboxAlreadyGone_isFine_butOtherCallsSayNotFound() {
        Sandbox gone = fx.client.sandbox("gone");

        gone.close();
        assertThatThrownBy(gone::inspect).isInstanceOfSatisfying(ArcboxClientException.class, e -> {
            assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(e).hasToString("sandbox 'gone' not found (NOT_FOUND)");
        });
    }

    @Test
    void checkpoint_thenForkOfThree_givesThreeHandles() {
        Snapshot snap = fx.sandbox().checkpoint("base");

        assertThat(snap.id()).isEqualTo("snap-1");
        assertThat(fx.client.fork(snap.id(), 3)).extracting(Sandbox::id)
                .containsExactly("snap-1-clone-0", "snap-1-clone-1", "snap-1-clone-2");
        assertThat(fx.sandboxes.requests(RestoreRequest.class).getFirst().getCount()).isEqualTo(3);
        assertThatThrownBy(() -> fx.client.fork(snap.id(), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDaemonThatIsNotThere_isUnavailable() {
        try (ArcboxClient nobody = ArcboxClient.connect(dir.resolve("nobody.sock"))) {
            assertThatThrownBy(() -> nobody.sandbox("x").inspect()).isInstanceOfSatisfying(ArcboxClientException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE));
        }
    }
}
