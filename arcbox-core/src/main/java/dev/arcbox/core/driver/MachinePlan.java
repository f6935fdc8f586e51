package dev.arcbox.core.driver;

/**
 * The virtual machine's shape.
 *
 * @param vcpus number of virtual CPUs, at least 1
 * @param memoryMib guest memory in MiB, at least 16
 * @param smt simultaneous multithreading exposed to the guest
 * @param accelerator {@code auto}, {@code kvm} or {@code tcg}; a driver rejects what it cannot run
 */
public record MachinePlan(int vcpus, int memoryMib, boolean smt, String accelerator) {

    public static MachinePlan of(int vcpus, int memoryMib) {
        return new MachinePlan(vcpus, memoryMib, false, "auto");
    }
}
