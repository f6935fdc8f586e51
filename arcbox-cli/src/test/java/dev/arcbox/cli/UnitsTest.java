package dev.arcbox.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.grpc.Status;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure parts: K=V parsing, the exit-code table, spans. */
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
}
