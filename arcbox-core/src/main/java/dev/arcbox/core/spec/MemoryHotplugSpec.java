package dev.arcbox.core.spec;

import java.util.OptionalLong;

/**
 * Virtio-mem hotpluggable memory (arcbox-vm 0.1.4 {@code MemoryHotplugSpec}).
 *
 * @param totalSizeMib most memory that can be plugged, a multiple of the slot size
 * @param slotSizeMib slot size (default 128), a multiple of the block size
 * @param blockSizeMib smallest unit plugged (default 2), a power of two &ge; 2
 */
public record MemoryHotplugSpec(long totalSizeMib, OptionalLong slotSizeMib, OptionalLong blockSizeMib) {

    public static final long DEFAULT_SLOT_SIZE_MIB = 128;
    public static final long DEFAULT_BLOCK_SIZE_MIB = 2;

    public MemoryHotplugSpec {
        slotSizeMib = slotSizeMib == null ? OptionalLong.empty() : slotSizeMib;
        blockSizeMib = blockSizeMib == null ? OptionalLong.empty() : blockSizeMib;
    }
}
