package dev.arcbox.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** IPv4 leases: lowest free address, reserved addresses, reuse, exhaustion, concurrency. */
class LeaseTest {

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
    void leases_skipNetworkGatewayAndBroadcast_thenExhaust() {
        Ipv4Pool pool = new Ipv4Pool("10.9.8.0/29", "10.9.8.3");
        List<String> ips = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            String uid = "aaaa000" + i;
            store.insertSandbox(Fixtures.sandbox(uid, "s" + i));
            ips.add(store.lease(uid, pool).ip());
        }
        assertThat(ips).containsExactly("10.9.8.1", "10.9.8.2", "10.9.8.4", "10.9.8.5", "10.9.8.6");

        store.insertSandbox(Fixtures.sandbox("aaaa0006", "s6"));
        assertThatThrownBy(() -> store.lease("aaaa0006", pool))
                .isInstanceOf(ArcboxException.ResourceExhausted.class)
                .hasMessage("ip pool 10.9.8.0/29 is exhausted: all 5 addresses are leased");
        assertThat(store.leaseOf("aaaa0006")).isEmpty();
    }

    @Test
    void releasedAddress_isReused_lowestFirst() {
        Ipv4Pool pool = new Ipv4Pool("172.30.0.0/24", "172.30.0.1");
        for (int i = 1; i <= 4; i++) {
            store.insertSandbox(Fixtures.sandbox("aaaa000" + i, "s" + i));
            store.lease("aaaa000" + i, pool);
        }
        assertThat(store.release("aaaa0002")).get().extracting(LeaseRow::ip).isEqualTo("172.30.0.3");
        assertThat(store.release("aaaa0002")).as("idempotent").isEmpty();

        store.insertSandbox(Fixtures.sandbox("aaaa0005", "s5"));
        LeaseRow reused = store.lease("aaaa0005", pool);

        assertThat(reused.ip()).isEqualTo("172.30.0.3");
        assertThat(reused.mac()).isEqualTo("02:ab:ac:1e:00:03");
    }

    @Test
    void lease_isIdempotentPerSandbox_andNeedsARecordedSandbox() {
        Ipv4Pool pool = new Ipv4Pool("172.30.0.0/24", "172.30.0.1");
        store.insertSandbox(Fixtures.sandbox("aaaa0001", "s1"));

        LeaseRow first = store.lease("aaaa0001", pool);
        assertThat(store.lease("aaaa0001", pool)).isEqualTo(first);
        assertThat(store.leaseOf("aaaa0001")).contains(first);
        assertThatThrownBy(() -> store.lease("aaaa0001", new Ipv4Pool("10.0.0.0/24", "10.0.0.1")))
                .isInstanceOf(ArcboxException.FailedPrecondition.class).hasMessageContaining("outside pool 10.0.0.0/24");
        assertThatThrownBy(() -> store.lease("zzzz0000", pool)).isInstanceOf(ArcboxException.NotFound.class);
    }

    @Test
    void fiftyConcurrentLeases_onVirtualThreads_getDistinctAddresses() throws Exception {
        Ipv4Pool pool = new Ipv4Pool("10.200.0.0/24", "10.200.0.1");
        store.write(tx -> {
            for (int i = 0; i < 50; i++) {
                tx.insertSandbox(Fixtures.sandbox(String.format("conc%04d", i), "c" + i));
            }
            return null;
        });

        List<String> ips = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<LeaseRow>> leases = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String uid = String.format("conc%04d", i);
                leases.add(threads.submit(() -> store.lease(uid, pool)));
            }
            for (Future<LeaseRow> lease : leases) {
                ips.add(lease.get().ip());
            }
        }

        assertThat(ips).doesNotHaveDuplicates().hasSize(50).allMatch(pool::contains)
                .doesNotContain("10.200.0.0", "10.200.0.1", "10.200.0.255");
        assertThat(store.read(ReadTransaction::listLeases)).extracting(LeaseRow::ip)
                .containsExactlyElementsOf(ips.stream().sorted((a, b) ->
                        Integer.compareUnsigned(Ipv4Pool.parse(a), Ipv4Pool.parse(b))).toList())
                .first().isEqualTo("10.200.0.2");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "10.0.0.1/24 | 10.0.0.2 | host bits must be zero",
        "10.0.0.0/24 | 10.0.1.1 | is outside 10.0.0.0/24",
        "10.0.0.0/24 | 10.0.0.255 | network or broadcast",
        "10.0.0.0/31 | 10.0.0.1 | prefix must be between /8 and /30",
        "10.0.0.0 | 10.0.0.1 | must look like a.b.c.d/n",
        "10.0.0.0/24 | 10.0.0.01 | must be a dotted quad",
        "10.0.0.0/24 | 10.0.0.256 | octet 256 > 255",
    })
    void badPool_isInvalidArgument(String cidr, String gateway, String message) {
        assertThatThrownBy(() -> new Ipv4Pool(cidr, gateway))
                .isInstanceOf(ArcboxException.InvalidArgument.class).hasMessageContaining(message);
    }

    @Test
    void pool_arithmetic() {
        Ipv4Pool pool = new Ipv4Pool("192.168.128.0/17", "192.168.128.1");

        assertThat(pool.capacity()).isEqualTo(32768 - 3);
        assertThat(Ipv4Pool.format(pool.broadcast())).isEqualTo("192.168.255.255");
        assertThat(pool.contains("192.168.200.7")).isTrue();
        assertThat(pool.contains("192.168.127.255")).isFalse();
    }
}
