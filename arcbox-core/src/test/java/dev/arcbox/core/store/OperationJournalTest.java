package dev.arcbox.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operation journal: recorded steps, crash points, unfinished operations after a crash, resume. */
class OperationJournalTest {

    /** What a crash-point hook throws to stop an operation where a crash would. */
    static final class SimulatedCrash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SimulatedCrash(String point) {
            super("simulated crash at " + point);
        }
    }

    @TempDir
    Path dir;

    @AfterEach
    void clearHook() {
        CrashPoints.clear();
    }

    @Test
    void beginStepStepComplete_recordsEveryStepWithItsResult() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            Operation op = store.journal().begin("create", "aaaa0001",
                    tx -> tx.insertSandbox(Fixtures.sandbox("aaaa0001", "box")));

            String tap = op.step("create-tap", () -> "{\"tap\":\"abxaaaa0001\"}");
            op.step("boot", () -> null);
            op.complete(tx -> tx.updateSandbox("aaaa0001", 1, r -> r.withState("ready", null)));

            assertThat(tap).isEqualTo("{\"tap\":\"abxaaaa0001\"}");
            OperationRow row = store.journal().find(op.id()).orElseThrow();
            assertThat(row).isEqualTo(op.row());
            assertThat(row.status()).isEqualTo(OperationStatus.DONE);
            assertThat(row.doneSteps()).containsExactly("create-tap", "boot");
            assertThat(row.step("create-tap").orElseThrow().result()).isEqualTo(tap);
            assertThat(row.crashPoint()).isEqualTo("create.boot.after");
            assertThat(store.journal().unfinished()).isEmpty();
            assertThat(store.findSandboxByUid("aaaa0001").orElseThrow().state()).isEqualTo("ready");
            assertThatThrownBy(() -> op.step("late", () -> null)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void everyStepBoundary_hitsItsCrashPoints_inOrder() {
        List<String> hits = new CopyOnWriteArrayList<>();
        CrashPoints.install(hits::add);
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            Operation op = store.journal().begin("create", null);
            op.step("create-tap", () -> {
                CrashPoints.hit("create.after-tap");
                return null;
            });
            op.record("lease", tx -> null);
            op.complete();
        }

        assertThat(hits).containsExactly("create.create-tap.before", "create.after-tap", "create.create-tap.after",
                "create.lease.before", "create.lease.after");
    }

    @Test
    void crashAtAStep_leavesTheOperationRunning_withEarlierStepsDone_acrossReopen() {
        String opId;
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            Operation op = store.journal().begin("create", "aaaa0001",
                    tx -> tx.insertSandbox(Fixtures.sandbox("aaaa0001", "box")));
            op.step("create-tap", () -> "{\"tap\":\"abxaaaa0001\"}");
            CrashPoints.install(point -> {
                if (point.equals("create.boot.before")) {
                    throw new SimulatedCrash(point);
                }
            });
            AtomicInteger booted = new AtomicInteger();

            assertThatThrownBy(() -> op.step("boot", () -> {
                booted.incrementAndGet();
                return null;
            })).isInstanceOf(SimulatedCrash.class);
            assertThat(booted).hasValue(0);
            opId = op.id();
        }
        CrashPoints.clear();

        try (Store store = Store.open(dir, Fixtures.FAST)) {
            List<OperationRow> unfinished = store.journal().unfinished();

            assertThat(unfinished).singleElement().satisfies(op -> {
                assertThat(op.opId()).isEqualTo(opId);
                assertThat(op.kind()).isEqualTo("create");
                assertThat(op.subjectUid()).isEqualTo("aaaa0001");
                assertThat(op.status()).isEqualTo(OperationStatus.RUNNING);
                assertThat(op.doneSteps()).containsExactly("create-tap");
                assertThat(op.step("create-tap").orElseThrow().result()).isEqualTo("{\"tap\":\"abxaaaa0001\"}");
                assertThat(op.step("boot").orElseThrow().status()).isEqualTo(StepRecord.Status.STARTED);
                assertThat(op.crashPoint()).isEqualTo("create.boot.before");
            });
        }
    }

    @Test
    void resumedOperation_skipsDoneSteps_reusingTheirResults_andRerunsTheRest() {
        String opId;
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            Operation op = store.journal().begin("create", null);
            op.step("create-tap", () -> "\"abx1\"");
            assertThatThrownBy(() -> op.step("boot", () -> {
                throw new ArcboxException.Unavailable("qemu exited", null);
            })).isInstanceOf(ArcboxException.Unavailable.class);
            opId = op.id();
        }

        try (Store store = Store.open(dir, Fixtures.FAST)) {
            Operation op = store.journal().resume(opId);
            AtomicInteger tapRuns = new AtomicInteger();

            String tap = op.step("create-tap", () -> {
                tapRuns.incrementAndGet();
                return "\"abx2\"";
            });
            op.step("boot", () -> "{\"pid\":42}");
            op.complete();

            assertThat(tapRuns).hasValue(0);
            assertThat(tap).isEqualTo("\"abx1\"");
            assertThat(op.row().doneSteps()).containsExactly("create-tap", "boot");
            assertThat(store.journal().unfinished()).isEmpty();
            assertThatThrownBy(() -> store.journal().resume(opId)).isInstanceOf(ArcboxException.FailedPrecondition.class);
        }
    }

    @Test
    void recordStep_commitsWithItsWrites_orNotAtAll() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            store.insertSandbox(Fixtures.sandbox("aaaa0001", "box"));
            Ipv4Pool pool = new Ipv4Pool("10.0.0.0/24", "10.0.0.1");
            Operation op = store.journal().begin("create", "aaaa0001");

            assertThatThrownBy(() -> op.record("lease", tx -> {
                tx.lease("aaaa0001", pool);
                throw new ArcboxException.HostFailure("disk gone", null);
            })).isInstanceOf(ArcboxException.HostFailure.class);
            assertThat(store.leaseOf("aaaa0001")).isEmpty();
            assertThat(store.journal().find(op.id()).orElseThrow().steps()).isEmpty();

            String ip = op.record("lease", tx -> "\"" + tx.lease("aaaa0001", pool).ip() + "\"");

            assertThat(ip).isEqualTo("\"10.0.0.2\"");
            assertThat(store.leaseOf("aaaa0001")).isPresent();
            assertThat(store.journal().find(op.id()).orElseThrow().doneSteps()).containsExactly("lease");
        }
    }

    @Test
    void failAndRollBack_finishTheOperation_withTheirReason() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            Operation failed = store.journal().begin("stop", "aaaa0001");
            failed.fail("vmm did not stop within 10 s");
            Operation undone = store.journal().begin("create", "aaaa0002");
            undone.step("create-tap", () -> null);
            undone.rolledBack("boot failed; tap removed");

            assertThat(store.journal().find(failed.id()).orElseThrow())
                    .extracting(OperationRow::status, OperationRow::reason)
                    .containsExactly(OperationStatus.FAILED, "vmm did not stop within 10 s");
            assertThat(store.journal().find(undone.id()).orElseThrow().status()).isEqualTo(OperationStatus.ROLLED_BACK);
            assertThat(store.journal().unfinished()).isEmpty();
            assertThat(store.journal().purgeFinished(java.time.Instant.now().plusSeconds(1))).isEqualTo(2);
        }
    }

    @Test
    void transactionCounts_matchTheClassComment() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            long start = store.commits();
            Operation plain = store.journal().begin("stop", null);
            plain.step("a", () -> null);
            plain.step("b", () -> null);
            plain.complete();
            assertThat(store.commits() - start).as("begin/step/step/complete").isEqualTo(6);

            start = store.commits();
            Ipv4Pool pool = new Ipv4Pool("10.0.0.0/24", "10.0.0.1");
            Operation create = store.journal().begin("create", "aaaa0001",
                    tx -> tx.insertSandbox(Fixtures.sandbox("aaaa0001", "typical")));
            create.record("resources", tx -> {
                String ip = tx.lease("aaaa0001", pool).ip();
                tx.updateSandbox("aaaa0001", 1, r -> r.withResources(OwnedResources.NONE.withTap("abxaaaa0001").withIp(ip)));
                return null;
            });
            create.step("create-tap", () -> null);
            create.step("boot", () -> null);
            create.complete(tx -> {
                SandboxRow r = tx.updateSandbox("aaaa0001", 2, s -> s.withState("ready", null));
                tx.appendEvent(r.id(), r.uid(), "state-changed", "{\"state\":\"ready\"}");
            });
            assertThat(store.commits() - start).as("a typical create").isEqualTo(7);
        }
    }

    @Test
    void badNamesAndResults_areRejected() {
        try (Store store = Store.open(dir, Fixtures.FAST)) {
            assertThatThrownBy(() -> store.journal().begin("Create", null)).isInstanceOf(IllegalArgumentException.class);
            Operation op = store.journal().begin("create", null);
            assertThatThrownBy(() -> op.step("a.b", () -> null)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> op.step("tap", () -> "not json")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("result of step tap: must be JSON");
        }
    }
}
