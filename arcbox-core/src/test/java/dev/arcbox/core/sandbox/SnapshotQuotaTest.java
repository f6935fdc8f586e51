package dev.arcbox.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SnapshotQuotaTest {

    @Test
    void aCheckpointUnderWay_holdsItsBound_untilItsReservationCloses() {
        AtomicLong used = new AtomicLong(100);
        SnapshotQuota quota = new SnapshotQuota(1000, used::get);
        SnapshotQuota.Reservation first = quota.reserve(600, "a");
        assertThatThrownBy(() -> quota.reserve(400, "b"))
                .isInstanceOf(ArcboxException.ResourceExhausted.class)
                .hasMessageContaining("limits.snapshot_quota_bytes")
                .hasMessageContaining("snapshots use 100 (and checkpoints under way may add 600) of 1000 bytes")
                .hasMessageContaining("'b' may take up to 400");
        used.addAndGet(500); // the first one is published at less than its bound
        first.close();
        first.close(); // twice releases once
        assertThat(quota.reserved()).isZero();
        try (SnapshotQuota.Reservation _ = quota.reserve(400, "b")) {
            assertThat(quota.reserved()).isEqualTo(400);
        }
        assertThat(quota.reserved()).isZero();
    }

    @Test
    void noQuota_reservesWithoutLimit() {
        SnapshotQuota quota = new SnapshotQuota(0, () -> Long.MAX_VALUE / 4);
        try (var _ = quota.reserve(Long.MAX_VALUE / 4, "a"); var _ = quota.reserve(1, "b")) {
            assertThat(quota.reserved()).isEqualTo(Long.MAX_VALUE / 4 + 1);
        }
    }

    @Test
    void manyAtOnce_neverHoldMoreThanTheQuota() throws Exception {
        SnapshotQuota quota = new SnapshotQuota(10_000, () -> 0);
        CountDownLatch go = new CountDownLatch(1);
        List<SnapshotQuota.Reservation> held = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<SnapshotQuota.Reservation>> calls = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String id = "s" + i;
                calls.add(pool.submit(() -> {
                    go.await();
                    try {
                        return quota.reserve(1_000, id);
                    } catch (ArcboxException.ResourceExhausted e) {
                        return null;
                    }
                }));
            }
            go.countDown();
            for (var f : calls) {
                if (f.get() != null) {
                    held.add(f.get());
                }
            }
        }
        assertThat(held).hasSize(10);
        assertThat(quota.reserved()).isEqualTo(10_000);
        held.forEach(SnapshotQuota.Reservation::close);
        assertThat(quota.reserved()).isZero();
    }
}
