package dev.arcbox.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sandbox rows: insert, typed round trip, generation fencing, filters, delete, transactions. */
class SandboxStoreTest {

    @TempDir
    Path dir;

    private Store store;

    @BeforeEach
    void open() {
        store = Store.open(dir, Fixtures.FAST);
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void insertedSandbox_startsAtGeneration1_andReadsBackEqual() {
        Instant ttl = Instant.parse("2030-01-01T00:00:00.123456789Z");
        NewSandbox fresh = new NewSandbox("ab12cd34", "my box", "{\"memory_mib\":256}", "starting",
                Map.of("team", "a", "env", "dev"), ttl, null,
                OwnedResources.NONE.withTap("abxab12cd34").withDir(Path.of("/run/arcbox/vms/ab12cd34")));

        SandboxRow row = store.insertSandbox(fresh);

        assertThat(row.generation()).isEqualTo(1);
        assertThat(row.ttlDeadline()).isEqualTo(Instant.parse("2030-01-01T00:00:00.123Z"));
        assertThat(row.createdAt()).isEqualTo(row.updatedAt());
        assertThat(store.findSandboxByUid("ab12cd34")).contains(row);
        assertThat(store.findSandboxById("my box")).contains(row);
        assertThat(store.findSandboxById("other")).isEmpty();
    }

    @Test
    void vmRecordAndResources_roundTrip() {
        store.insertSandbox(Fixtures.sandbox("ab12cd34", "vm"));
        OwnedResources resources = OwnedResources.NONE.withTap("abxab12cd34").withIp("172.30.0.2")
                .withRule("sbx-ab12cd34-egress").withDir(Path.of("/run/arcbox/vms/ab12cd34"));

        SandboxRow updated = store.updateSandbox("ab12cd34", 1,
                r -> r.withState("ready", null).withVm(Fixtures.vmRecord()).withResources(resources));

        SandboxRow read = store.findSandboxByUid("ab12cd34").orElseThrow();
        assertThat(read).isEqualTo(updated);
        assertThat(read.vm()).isEqualTo(Fixtures.vmRecord());
        assertThat(read.resources()).isEqualTo(resources);
    }

    @Test
    void duplicateIdOrUid_isAlreadyExists() {
        store.insertSandbox(Fixtures.sandbox("aaaa0001", "taken"));

        assertThatThrownBy(() -> store.insertSandbox(Fixtures.sandbox("aaaa0002", "taken")))
                .isInstanceOf(ArcboxException.AlreadyExists.class).hasMessage("sandbox taken already exists");
        assertThatThrownBy(() -> store.insertSandbox(Fixtures.sandbox("aaaa0001", "other")))
                .isInstanceOf(ArcboxException.AlreadyExists.class).hasMessageContaining("uid aaaa0001 is taken");
        assertThat(store.listSandboxes(SandboxFilter.ALL)).hasSize(1);
    }

    @Test
    void update_bumpsGeneration_andStaleGenerationIsRefused() {
        store.insertSandbox(Fixtures.sandbox("aaaa0001", "fenced"));
        SandboxRow ready = store.updateSandbox("aaaa0001", 1, r -> r.withState("ready", null));
        assertThat(ready.generation()).isEqualTo(2);

        assertThatThrownBy(() -> store.updateSandbox("aaaa0001", 1, r -> r.withState("failed", "late timer")))
                .isInstanceOf(ArcboxException.FailedPrecondition.class)
                .hasMessage("sandbox fenced (uid aaaa0001) changed concurrently: expected generation 1, found 2");

        assertThat(store.findSandboxByUid("aaaa0001")).contains(ready);
    }

    @Test
    void update_ofUnknownSandbox_isNotFound() {
        assertThatThrownBy(() -> store.updateSandbox("zzzz9999", 1, r -> r))
                .isInstanceOf(ArcboxException.NotFound.class).hasMessageContaining("zzzz9999");
    }

    @Test
    void mutatorChangingIdentity_isRejected_andNothingIsWritten() {
        SandboxRow row = store.insertSandbox(Fixtures.sandbox("aaaa0001", "same"));

        assertThatThrownBy(() -> store.updateSandbox("aaaa0001", 1, r -> new SandboxRow(r.uid(), "renamed",
                r.specJson(), r.state(), r.generation(), r.reason(), r.labels(), r.createdAt(), r.updatedAt(),
                null, null, null, null)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.findSandboxByUid("aaaa0001")).contains(row);
    }

    @Test
    void list_filtersByStateAndLabels() {
        store.write(tx -> {
            tx.insertSandbox(NewSandbox.of("aaaa0001", "a", "{}", "ready", Map.of("team", "x", "env", "prod")));
            tx.insertSandbox(NewSandbox.of("aaaa0002", "b", "{}", "stopped", Map.of("team", "x")));
            tx.insertSandbox(NewSandbox.of("aaaa0003", "c", "{}", "ready", Map.of("team", "y", "we\"ird", "v'1")));
            return null;
        });

        assertThat(store.listSandboxes(SandboxFilter.inState("ready"))).extracting(SandboxRow::id)
                .containsExactly("a", "c");
        assertThat(store.listSandboxes(SandboxFilter.withLabels(Map.of("team", "x")))).extracting(SandboxRow::id)
                .containsExactly("a", "b");
        assertThat(store.listSandboxes(new SandboxFilter(Set.of("ready", "stopped"), Map.of("team", "x", "env", "prod"))))
                .extracting(SandboxRow::id).containsExactly("a");
        assertThat(store.listSandboxes(SandboxFilter.withLabels(Map.of("we\"ird", "v'1")))).extracting(SandboxRow::id)
                .containsExactly("c");
        assertThat(store.listSandboxes(SandboxFilter.ALL)).hasSize(3);
    }

    @Test
    void delete_isRefusedWhileALeaseIsHeld_andIdempotentAfterwards() {
        store.insertSandbox(Fixtures.sandbox("aaaa0001", "gone"));
        store.lease("aaaa0001", new Ipv4Pool("10.1.0.0/24", "10.1.0.1"));

        assertThatThrownBy(() -> store.deleteSandbox("aaaa0001"))
                .isInstanceOf(ArcboxException.FailedPrecondition.class).hasMessageContaining("still holds lease 10.1.0.2");

        store.release("aaaa0001");
        assertThat(store.deleteSandbox("aaaa0001")).isTrue();
        assertThat(store.deleteSandbox("aaaa0001")).isFalse();
        assertThat(store.findSandboxByUid("aaaa0001")).isEmpty();
    }

    @Test
    void oneTransition_isOneTransaction_andAFailingCallbackWritesNothing() {
        store.insertSandbox(Fixtures.sandbox("aaaa0001", "tx"));

        store.write(tx -> {
            SandboxRow r = tx.updateSandbox("aaaa0001", 1, s -> s.withState("ready", null));
            return tx.appendEvent(r.id(), r.uid(), "state-changed", "{\"state\":\"ready\"}");
        });
        assertThatThrownBy(() -> store.write(tx -> {
            tx.updateSandbox("aaaa0001", 2, s -> s.withState("stopping", null));
            tx.appendEvent("tx", "aaaa0001", "state-changed", "{\"state\":\"stopping\"}");
            throw new ArcboxException.Unavailable("vmm went away", null);
        })).isInstanceOf(ArcboxException.Unavailable.class);

        assertThat(store.findSandboxByUid("aaaa0001").orElseThrow())
                .extracting(SandboxRow::state, SandboxRow::generation).containsExactly("ready", 2L);
        assertThat(store.readEventsFrom(0, 10, EventFilter.ALL).events()).hasSize(1);
    }

    @Test
    void readTransaction_seesOneSnapshot_andCannotEscapeItsCallback() {
        store.insertSandbox(Fixtures.sandbox("aaaa0001", "snap"));
        ReadTransaction[] escaped = new ReadTransaction[1];

        int seenTwice = store.read(tx -> {
            escaped[0] = tx;
            int first = tx.listSandboxes(SandboxFilter.ALL).size();
            store.insertSandbox(Fixtures.sandbox("aaaa0002", "later"));
            return first + tx.listSandboxes(SandboxFilter.ALL).size();
        });

        assertThat(seenTwice).isEqualTo(2);
        assertThatThrownBy(() -> escaped[0].findSandboxById("snap")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void nestedWrite_isRejected() {
        assertThatThrownBy(() -> store.write(tx -> store.insertSandbox(Fixtures.sandbox("aaaa0001", "nested"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("inside a write callback");
        assertThat(store.listSandboxes(SandboxFilter.ALL)).isEmpty();
    }

    @Test
    void writeWhileAnotherProcessHoldsTheWriteLock_isFailedPreconditionLocked_andReadsStillWork() throws Exception {
        store.insertSandbox(Fixtures.sandbox("aaaa0001", "busy"));
        try (java.sql.Connection other = Fixtures.raw(dir.resolve("arcbox.db"));
                java.sql.Statement s = other.createStatement()) {
            s.execute("BEGIN IMMEDIATE");

            assertThatThrownBy(() -> store.insertSandbox(Fixtures.sandbox("aaaa0002", "blocked")))
                    .isInstanceOf(ArcboxException.FailedPrecondition.class)
                    .hasMessageContaining("is locked by another process");
            assertThat(store.findSandboxById("busy")).isPresent();

            s.execute("ROLLBACK");
        }
        store.insertSandbox(Fixtures.sandbox("aaaa0002", "unblocked"));
        assertThat(store.listSandboxes(SandboxFilter.ALL)).hasSize(2);
    }

    @Test
    void badInput_isRejectedNamingTheField() {
        assertThatThrownBy(() -> Fixtures.sandbox("AB12CD34", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("uid: must match [a-z0-9]{8}, got AB12CD34");
        assertThatThrownBy(() -> store.insertSandbox(NewSandbox.of("aaaa0001", "x", "{not json", "starting", Map.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sandbox x spec: must be JSON");
        assertThat(SandboxRow.randomUid()).matches("[a-z0-9]{8}");
    }
}
