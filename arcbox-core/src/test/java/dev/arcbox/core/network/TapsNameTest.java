package dev.arcbox.core.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arcbox.core.ArcboxException;
import org.junit.jupiter.api.Test;

class TapsNameTest {

    @Test
    void nameFor_isAbxPlusUid_andFitsIfnamsiz() {
        assertThat(Taps.nameFor("1f3a9c0e")).isEqualTo("abx1f3a9c0e").hasSizeLessThanOrEqualTo(15);
        assertThat(Taps.uidOf("abx1f3a9c0e")).contains("1f3a9c0e");
    }

    @Test
    void uidOf_isEmptyForNamesNotOurs() {
        assertThat(Taps.uidOf("eth0")).isEmpty();
        assertThat(Taps.uidOf("abx1f3a")).isEmpty();
        assertThat(Taps.uidOf("abxABCDEFGH")).isEmpty();
        assertThat(Taps.uidOf(null)).isEmpty();
    }

    @Test
    void nameFor_refusesABadUid() {
        assertThatThrownBy(() -> Taps.nameFor("1F3A9C0E"))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessage("tap name: sandbox uid must be 8 characters [a-z0-9], got '1F3A9C0E'");
    }

    @Test
    void operations_refuseNamesThatAreNotOurs_withoutRunningAnything() {
        Taps taps = new Taps(NetCommands.inNetns("abx-never-used"));

        assertThatThrownBy(() -> taps.delete("eth0"))
                .isInstanceOf(ArcboxException.InvalidArgument.class)
                .hasMessageContaining("got 'eth0'");
    }
}
