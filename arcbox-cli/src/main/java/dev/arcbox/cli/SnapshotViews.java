package dev.arcbox.cli;

import dev.arcbox.api.v1.ListSnapshotsResponse;
import dev.arcbox.api.v1.SnapshotInfo;
import dev.arcbox.api.v1.SnapshotSummary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How snapshots look on the terminal. */
final class SnapshotViews {

    static final List<String> LIST_HEADER = List.of("ID", "NAME", "SANDBOX", "SIZE", "AGE", "LABELS");
    /** How much of a content hash the table form shows. */
    static final int SHORT_HASH = 12;

    private SnapshotViews() {}

    static void list(Output output, ListSnapshotsResponse list, boolean quiet, Output.Format format) {
        if (quiet) {
            list.getSnapshotsList().forEach(s -> output.line(s.getId()));
            return;
        }
        switch (format) {
            case JSON -> output.json(list);
            case TABLE -> output.table(LIST_HEADER, list.getSnapshotsList().stream().map(s -> row(output, s)).toList());
        }
    }

    private static List<String> row(Output output, SnapshotSummary s) {
        return List.of(s.getId(), Output.orNone(s.getName()), Output.orNone(s.getSandboxId()),
                Output.bytes(s.getSizeBytes()), output.age(s.getCreatedAt()), Output.pairs(s.getLabelsMap()));
    }

    static void info(Output output, SnapshotInfo info, Output.Format format) {
        switch (format) {
            case JSON -> output.json(info);
            case TABLE -> output.fields(fields(output, info));
        }
    }

    private static List<Output.Field> fields(Output output, SnapshotInfo i) {
        return List.of(
                new Output.Field("id", i.getId()),
                new Output.Field("name", Output.orNone(i.getName())),
                new Output.Field("sandbox", Output.orNone(i.getSandboxId())),
                new Output.Field("labels", Output.pairs(i.getLabelsMap())),
                new Output.Field("created", output.when(i.getCreatedAt())),
                new Output.Field("size", Output.bytes(i.getSizeBytes())),
                new Output.Field("kind", Output.orNone(i.getKind())),
                new Output.Field("memory format", Output.orNone(i.getMemoryFormat())),
                new Output.Field("parent", Output.orNone(i.getParent())),
                new Output.Field("used by", i.getUsedByList().isEmpty() ? Output.NONE : String.join(",", i.getUsedByList())),
                new Output.Field("vcpus", String.valueOf(i.getVcpus())),
                new Output.Field("memory", Long.toUnsignedString(i.getMemoryMib()) + " MiB"),
                new Output.Field("driver", Output.orNone(i.getDriver())),
                new Output.Field("vmm version", Output.orNone(i.getVmmVersion())),
                new Output.Field("asset hashes", Output.pairs(abbreviated(i.getAssetHashesMap()))),
                new Output.Field("dir", Output.orNone(i.getSnapshotDir())));
    }

    private static Map<String, String> abbreviated(Map<String, String> hashes) {
        Map<String, String> shortened = new LinkedHashMap<>();
        hashes.forEach((asset, hash) -> shortened.put(asset, shortHash(hash)));
        return shortened;
    }

    /** The first {@value #SHORT_HASH} characters of a hash, after an {@code algorithm:} prefix if any. */
    static String shortHash(String hash) {
        String digest = hash.substring(hash.indexOf(':') + 1);
        return digest.length() <= SHORT_HASH ? digest : digest.substring(0, SHORT_HASH);
    }
}
