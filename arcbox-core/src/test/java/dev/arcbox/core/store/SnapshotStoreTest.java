package dev.arcbox.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot catalog: staged → published, parents, origin sandboxes. */
class SnapshotStoreTest {

    @TempDir
    Path dir;

    @Test
    void snapshot_isStagedThenPublished_andListedByFilter() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            store.insertSandbox(Fixtures.sandbox("aaaa0001", "origin"));
            SnapshotRow staged = store.insertSnapshot(new NewSnapshot("snap-1", "base", "aaaa0001", null, "{}", 0,
                    Map.of("kind", "full")));
            assertThat(staged.state()).isEqualTo(SnapshotState.STAGED);

            SnapshotRow published = store.publishSnapshot("snap-1", "{\"driver\":\"qemu\"}", 1 << 20);

            assertThat(store.findSnapshot("snap-1")).contains(published);
            assertThat(published.state()).isEqualTo(SnapshotState.PUBLISHED);
            assertThat(published.sizeBytes()).isEqualTo(1 << 20);
            assertThatThrownBy(() -> store.publishSnapshot("snap-1", "{}", 1))
                    .isInstanceOf(ArcboxException.FailedPrecondition.class).hasMessageContaining("is published");
            assertThat(store.listSnapshots(SnapshotFilter.inState(SnapshotState.PUBLISHED))).containsExactly(published);
            assertThat(store.listSnapshots(new SnapshotFilter("base", "aaaa0001", null, Map.of("kind", "full"))))
                    .containsExactly(published);
            assertThat(store.listSnapshots(SnapshotFilter.inState(SnapshotState.STAGED))).isEmpty();
            assertThatThrownBy(() -> store.insertSnapshot(new NewSnapshot("snap-1", "again", null, null, "{}", 0, Map.of())))
                    .isInstanceOf(ArcboxException.AlreadyExists.class);
        }
    }

    @Test
    void parent_cannotBeDeletedBeforeItsChild_andOriginRemovalKeepsTheSnapshot() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            store.insertSandbox(Fixtures.sandbox("aaaa0001", "origin"));
            store.insertSnapshot(new NewSnapshot("full", "base", "aaaa0001", null, "{}", 10, Map.of()));
            store.insertSnapshot(new NewSnapshot("diff", "delta", "aaaa0001", "full", "{}", 1, Map.of()));
            assertThatThrownBy(() -> store.insertSnapshot(new NewSnapshot("orphan", "x", null, "nope", "{}", 1, Map.of())))
                    .isInstanceOf(ArcboxException.NotFound.class);

            assertThatThrownBy(() -> store.deleteSnapshot("full"))
                    .isInstanceOf(ArcboxException.FailedPrecondition.class).hasMessageContaining("parent of snapshot diff");

            assertThat(store.deleteSandbox("aaaa0001")).isTrue();
            assertThat(store.findSnapshot("full").orElseThrow().sandboxUid()).isNull();
            assertThat(store.deleteSnapshot("diff")).isTrue();
            assertThat(store.deleteSnapshot("full")).isTrue();
            assertThat(store.deleteSnapshot("full")).isFalse();
        }
    }
}
