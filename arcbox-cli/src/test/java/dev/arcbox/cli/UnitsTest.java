package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.grpc.Status;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure parts: K=V parsing, the exit-code table, spans, sizes, RFC 3339 ages, short hashes. */
class UnitsTest {

    @Test
    void keyValue_splitsAtTheFirstEquals() {
        assertThat(KeyValue.parse("a=b=c")).isEqualTo(new KeyValue("a", "b=c"));
        assertThat(KeyValue.parse("a=")).isEqualTo(new KeyValue("a", ""));
        assertThat(KeyValue.toMap(List.of(KeyValue.parse("a=1"), KeyValue.parse("a=2")))).isEqualTo(Map.of("a", "2"));
        assertThat(KeyValue.toMap(null)).isEmpty();
    }

    @Test
    void keyValue_rejectsAMissingEqualsAnEmptyKeyAndWhiteSpace() {
        assertThatIllegalArgumentException().isThrownBy(() -> KeyValue.parse("ab")).withMessageContaining("'ab'");
        assertThatIllegalArgumentException().isThrownBy(() -> KeyValue.parse("=b")).withMessageContaining("empty key");
        assertThatIllegalArgumentException().isThrownBy(() -> KeyValue.parse("a b=c")).withMessageContaining("white space");
    }

    @Test
    void exitCodes_coverEveryStatus_andOnlyTheDocumentedOnes() {
        assertThat(Arrays.stream(Status.Code.values()).mapToInt(ExitCodes::of).distinct().sorted().toArray())
                .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(ExitCodes.of(Status.Code.CANCELLED)).isEqualTo(1);
        assertThat(ExitCodes.ofRun(3, 0, false)).isEqualTo(3);
        assertThat(ExitCodes.ofRun(0, 15, false)).isEqualTo(143);
        assertThat(ExitCodes.ofRun(0, 9, true)).isEqualTo(124);
    }

    @Test
    void span_usesTheLargestWholeUnit() {
        assertThat(Output.span(Duration.ofSeconds(59))).isEqualTo("59s");
        assertThat(Output.span(Duration.ofMinutes(59))).isEqualTo("59m");
        assertThat(Output.span(Duration.ofHours(47))).isEqualTo("47h");
        assertThat(Output.span(Duration.ofDays(3))).isEqualTo("3d");
        assertThat(Output.span(Duration.ofSeconds(-5))).isEqualTo("0s");
    }

    @Test
    void bytes_areBinaryUnitsWithOneDecimal() {
        assertThat(Output.bytes(0)).isEqualTo("0 B");
        assertThat(Output.bytes(1023)).isEqualTo("1023 B");
        assertThat(Output.bytes(1024)).isEqualTo("1.0 KiB");
        assertThat(Output.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Output.bytes(12_900_000)).isEqualTo("12.3 MiB");
        assertThat(Output.bytes((1L << 20) - 1)).isEqualTo("1.0 MiB");
        assertThat(Output.bytes(5L << 40)).isEqualTo("5.0 TiB");
        assertThat(Output.bytes(-1L)).as("uint64 max").isEqualTo("16.0 EiB");
    }

    @Test
    void rfc3339Times_haveAnAge_andUnreadableOnesAreShownAsSent() {
        Output output = new Output(new PrintStream(OutputStream.nullOutputStream()), Clock.fixed(Cli.NOW, ZoneOffset.UTC));

        assertThat(output.age("2026-11-27T11:59:30Z")).isEqualTo("30s");
        assertThat(output.age("2026-11-27T13:00:00.5+02:00")).isEqualTo("59m");
        assertThat(output.age("")).isEqualTo("-");
        assertThat(output.age("yesterday")).isEqualTo("-");
        assertThat(output.when("2026-11-27T13:00:00Z")).isEqualTo("2026-11-27T13:00:00Z (in 1h)");
        assertThat(output.when("yesterday")).isEqualTo("yesterday");
        assertThat(output.when("")).isEqualTo("-");
    }

    @Test
    void shortHash_isTwelveCharactersOfTheDigest() {
        assertThat(SnapshotViews.shortHash("0123456789abcdef")).isEqualTo("0123456789ab");
        assertThat(SnapshotViews.shortHash("sha256:0123456789abcdef")).isEqualTo("0123456789ab");
        assertThat(SnapshotViews.shortHash("abc")).isEqualTo("abc");
        assertThat(SnapshotViews.shortHash("")).isEmpty();
    }
}
