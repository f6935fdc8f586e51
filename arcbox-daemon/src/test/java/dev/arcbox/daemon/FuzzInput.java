package dev.arcbox.daemon;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Seeded hostile values for API fuzzing: strings (empty, huge, control characters, path tricks,
 * unicode, valid-looking ids), numbers at and past every edge, maps with bad label keys. Values
 * that name existing things come from {@link #known}, so a share of requests gets past the first
 * check and reaches deeper ones.
 */
final class FuzzInput {

    private static final String[] NASTY = {
        "", " ", "\u0000", "a\u0000b", "\n", "../../etc/passwd", "/etc/shadow", "/", "..", ".", "a/b", "-rf",
        "%s%s%n", "${jndi:ldap://x}", "'; DROP TABLE sandboxes; --", "\uD83D\uDE00", "\uFFFF", "\u202Ereversed",
        "tap", "none", "TAP", "ready", "stopped", "2M", "V2", "sync", "async", "unsafe", "writeback", "C3",
        "0.0.0.0/0", "10.0.0.0/8", "300.1.1.1/33", "::1/128", "127.0.0.1", "-1", "0", "18446744073709551616",
        "sbx-00000000", "snap-00000000", "A".repeat(64), "A".repeat(65), "k=v", "key with spaces", "UPPER",
        "x".repeat(254), "x".repeat(4097),
    };

    private final Random random;
    private final Supplier<List<String>> known;

    FuzzInput(Random random, Supplier<List<String>> known) {
        this.random = random;
        this.known = known;
    }

    Random random() {
        return random;
    }

    boolean chance(int percent) {
        return random.nextInt(100) < percent;
    }

    /** A hostile or ordinary string; sometimes the id of something that exists. */
    String string() {
        return switch (random.nextInt(10)) {
            case 0, 1 -> NASTY[random.nextInt(NASTY.length)];
            case 2 -> randomChars(1 + random.nextInt(40), 0x20, 0x7e);
            case 3 -> randomChars(1 + random.nextInt(20), 0, 0xffff);
            case 4 -> chance(10) ? "y".repeat(100_000) : "z".repeat(200 + random.nextInt(2000));
            case 5, 6, 7 -> knownOr("sbx-" + Integer.toHexString(random.nextInt()));
            default -> "fz-" + Integer.toString(random.nextInt(100_000), 36);
        };
    }

    /** An id: mostly plausible (existing or fresh), sometimes hostile. */
    String id() {
        return chance(70) ? knownOr("fz-" + Integer.toString(random.nextInt(1_000_000), 36)) : string();
    }

    private String knownOr(String fallback) {
        List<String> ids = known.get();
        return ids.isEmpty() || chance(30) ? fallback : ids.get(random.nextInt(ids.size()));
    }

    /** A uint32/int32 on the wire: edges, negatives (huge when unsigned) and ordinary values. */
    int int32() {
        int[] edges = {0, 1, -1, 2, 64, 65, 255, 1024, 4096, Integer.MAX_VALUE, Integer.MIN_VALUE, 65535, 65536};
        return chance(60) ? edges[random.nextInt(edges.length)] : random.nextInt();
    }

    long int64() {
        long[] edges = {0, 1, -1, 16L << 20, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, 128, 256, 1 << 20};
        return chance(60) ? edges[random.nextInt(edges.length)] : random.nextLong();
    }

    /** Labels with bad keys and values mixed with good ones. */
    Map<String, String> labels() {
        Map<String, String> labels = new HashMap<>();
        int n = chance(10) ? 70 + random.nextInt(40) : random.nextInt(4);
        for (int i = 0; i < n; i++) {
            labels.put(chance(50) ? "k" + i : string(), chance(70) ? "v" : string());
        }
        return labels;
    }

    List<String> strings(int max) {
        List<String> list = new ArrayList<>();
        int n = random.nextInt(max + 1);
        for (int i = 0; i < n; i++) {
            list.add(string());
        }
        return list;
    }

    private String randomChars(int length, int from, int to) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append((char) (from + random.nextInt(to - from + 1)));
        }
        return b.toString();
    }
}
