package dev.arcbox.driver.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When Firecracker can run: binary, jailer, and a KVM with real hardware virtualization. */
class FcHostTest {

    @TempDir
    Path tmp;

    @Test
    void kvm_missing_pvm_orWithoutVtx_isUnusable_namingWhy() throws Exception {
        Path kvm = Files.createFile(tmp.resolve("kvm"));
        Path cpuinfo = Files.writeString(tmp.resolve("cpuinfo"), "processor\t: 0\nflags\t\t: fpu sse2 vmx\n");
        Path noModule = tmp.resolve("no-module");
        assertThat(FcHost.kvmProblem(kvm, noModule, cpuinfo)).isEmpty();
        assertThat(FcHost.kvmProblem(tmp.resolve("none"), noModule, cpuinfo)).get().asString().contains("is missing");
        Path pvm = Files.createDirectory(tmp.resolve("kvm_pvm"));
        assertThat(FcHost.kvmProblem(kvm, pvm, cpuinfo)).get().asString().contains("kvm_pvm is loaded");
        Path noVtx = Files.writeString(tmp.resolve("cpuinfo2"), "flags\t\t: fpu sse2 hypervisor\n");
        assertThat(FcHost.kvmProblem(kvm, noModule, noVtx)).get().asString().contains("no vmx/svm");
    }

    @Test
    void missingBinary_isNamed() {
        var config = FcTestFiles.config(tmp.resolve("firecracker"), Optional.empty(), 5);
        assertThat(FcHost.unavailable(config)).get().asString().contains("firecracker binary").contains("not found");
    }
}
