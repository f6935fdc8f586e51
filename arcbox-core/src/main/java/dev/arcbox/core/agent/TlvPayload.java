package dev.arcbox.core.agent;

import dev.arcbox.core.ArcboxException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A parsed TLV payload ({@code u16 tag | u32 len | len bytes}, repeated; docs/agent-protocol.md §1).
 * Parsing only records positions, so an untrusted length is checked against the payload before anything
 * is copied. Accessors return the first occurrence of a tag; unknown tags are simply never asked for.
 */
final class TlvPayload {

    private static final int ENTRY_HEADER = 6;

    private final byte[] data;
    private final int[] tags;
    private final int[] offsets;
    private final int[] lengths;
    private final int count;

    private TlvPayload(byte[] data, int[] tags, int[] offsets, int[] lengths, int count) {
        this.data = data;
        this.tags = tags;
        this.offsets = offsets;
        this.lengths = lengths;
        this.count = count;
    }

    /** @throws ArcboxException.ProtocolViolation when an entry runs past the payload */
    static TlvPayload parse(byte[] payload) {
        int max = payload.length / ENTRY_HEADER;
        int[] tags = new int[max];
        int[] offsets = new int[max];
        int[] lengths = new int[max];
        int n = 0;
        int pos = 0;
        while (pos < payload.length) {
            if (payload.length - pos < ENTRY_HEADER) {
                throw new ArcboxException.ProtocolViolation("tlv: truncated entry header at byte " + pos);
            }
            int tag = (payload[pos] & 0xFF) << 8 | payload[pos + 1] & 0xFF;
            long len = Integer.toUnsignedLong(readInt(payload, pos + 2));
            pos += ENTRY_HEADER;
            if (len > payload.length - pos) {
                throw new ArcboxException.ProtocolViolation(String.format(
                        "tlv: tag 0x%02x claims %d bytes, only %d left", tag, len, payload.length - pos));
            }
            tags[n] = tag;
            offsets[n] = pos;
            lengths[n] = (int) len;
            n++;
            pos += (int) len;
        }
        return new TlvPayload(payload, tags, offsets, lengths, n);
    }

    boolean has(int tag) {
        return index(tag) >= 0;
    }

    /** The u8 value of the tag, or {@code absent}. */
    int u8(int tag, int absent) {
        int i = fixed(tag, 1);
        return i < 0 ? absent : data[offsets[i]] & 0xFF;
    }

    /** The raw 32-bit value of the tag (unsigned on the wire), or {@code absent}. */
    int u32(int tag, int absent) {
        int i = fixed(tag, 4);
        return i < 0 ? absent : readInt(data, offsets[i]);
    }

    /** The raw 64-bit value of the tag (unsigned on the wire), or {@code absent}. */
    long u64(int tag, long absent) {
        int i = fixed(tag, 8);
        return i < 0 ? absent : (long) readInt(data, offsets[i]) << 32 | Integer.toUnsignedLong(readInt(data, offsets[i] + 4));
    }

    /** Every u32 value of a repeatable tag, in order. */
    List<Integer> u32s(int tag) {
        List<Integer> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (tags[i] == tag) {
                checkWidth(i, 4);
                values.add(readInt(data, offsets[i]));
            }
        }
        return values;
    }

    /** The bytes of the tag, or null. */
    byte[] bytes(int tag) {
        int i = index(tag);
        return i < 0 ? null : Arrays.copyOfRange(data, offsets[i], offsets[i] + lengths[i]);
    }

    /** The UTF-8 string of the tag (malformed sequences replaced), cut to {@code maxBytes}, or null. */
    String string(int tag, int maxBytes) {
        int i = index(tag);
        return i < 0 ? null : new String(data, offsets[i], Math.min(lengths[i], maxBytes), StandardCharsets.UTF_8);
    }

    /** Every string of a repeatable tag, in order. */
    List<String> strings(int tag) {
        List<String> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (tags[i] == tag) {
                values.add(new String(data, offsets[i], lengths[i], StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    /** Every value of a repeatable tag, copied, in order (nested TLV sequences). */
    List<byte[]> all(int tag) {
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (tags[i] == tag) {
                values.add(Arrays.copyOfRange(data, offsets[i], offsets[i] + lengths[i]));
            }
        }
        return values;
    }

    private int index(int tag) {
        for (int i = 0; i < count; i++) {
            if (tags[i] == tag) {
                return i;
            }
        }
        return -1;
    }

    private int fixed(int tag, int width) {
        int i = index(tag);
        if (i >= 0) {
            checkWidth(i, width);
        }
        return i;
    }

    private void checkWidth(int i, int width) {
        if (lengths[i] != width) {
            throw new ArcboxException.ProtocolViolation(String.format(
                    "tlv: tag 0x%02x must be %d bytes, got %d", tags[i], width, lengths[i]));
        }
    }

    static byte[] intBytes(int value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | b[at + 3] & 0xFF;
    }

    /** Builds a TLV payload in the order the entries are added. */
    static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Builder u8(int tag, int value) {
            return entry(tag, new byte[] {(byte) value});
        }

        Builder u32(int tag, int value) {
            return entry(tag, intBytes(value));
        }

        Builder u64(int tag, long value) {
            byte[] b = new byte[8];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (value >>> (56 - 8 * i));
            }
            return entry(tag, b);
        }

        Builder string(int tag, String value) {
            return entry(tag, value.getBytes(StandardCharsets.UTF_8));
        }

        Builder bytes(int tag, byte[] value) {
            return entry(tag, value);
        }

        byte[] build() {
            return out.toByteArray();
        }

        private Builder entry(int tag, byte[] value) {
            out.write(tag >>> 8);
            out.write(tag);
            int len = value.length;
            out.write(len >>> 24);
            out.write(len >>> 16);
            out.write(len >>> 8);
            out.write(len);
            out.writeBytes(value);
            return this;
        }
    }
}
