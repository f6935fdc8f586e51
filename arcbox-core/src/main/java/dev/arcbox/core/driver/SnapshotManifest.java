package dev.arcbox.core.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code snapshot.json}: the driver's description of a snapshot directory. File names are stored
 * relative to the directory, so a snapshot can be staged in one place and published (renamed) to
 * another. Format version 1; fields are only ever added.
 */
public final class SnapshotManifest {

    public static final String FILE = "snapshot.json";
    private static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SnapshotManifest() {}

    /** Writes {@code files} as {@code snapshot.json} in its directory (atomically, fsynced). */
    public static void write(SnapshotFiles files) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("driver", files.driver());
        root.put("vmm_version", files.vmmVersion());
        root.put("kind", files.kind().name());
        root.put("memory_format", files.memoryFormat().name());
        root.put("vm_state", relative(files, files.vmState()));
        files.memory().ifPresent(m -> root.put("memory", relative(files, m)));
        files.writableDisk().ifPresent(d -> root.put("writable_disk", relative(files, d)));
        ObjectNode machine = root.putObject("machine");
        machine.put("vcpus", files.machine().vcpus());
        machine.put("memory_mib", files.machine().memoryMib());
        machine.put("smt", files.machine().smt());
        machine.put("accelerator", files.machine().accelerator());
        ObjectNode hashes = root.putObject("asset_hashes");
        new java.util.TreeMap<>(files.assetHashes()).forEach(hashes::put);
        Path target = files.dir().resolve(FILE);
        Path tmp = files.dir().resolve(FILE + ".tmp");
        try {
            Files.write(tmp, JSON.writeValueAsBytes(root));
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("writing " + target + ": " + e.getMessage(), e);
        }
    }

    /** Reads the snapshot in {@code dir}. */
    public static SnapshotFiles read(Path dir) {
        Path file = dir.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ArcboxException.NotFound("snapshot " + dir + " has no " + FILE);
        } catch (IOException e) {
            throw new ArcboxException.FailedPrecondition("reading " + file + ": " + e.getMessage());
        }
        try {
            Map<String, String> hashes = new LinkedHashMap<>();
            root.path("asset_hashes").properties().forEach(e -> hashes.put(e.getKey(), e.getValue().asText()));
            JsonNode machine = root.path("machine");
            return new SnapshotFiles(
                    dir,
                    text(root, "driver"),
                    text(root, "vmm_version"),
                    SnapshotKind.valueOf(text(root, "kind")),
                    MemoryFormat.valueOf(text(root, "memory_format")),
                    inside(dir, text(root, "vm_state")),
                    optional(dir, root, "memory"),
                    optional(dir, root, "writable_disk"),
                    new MachinePlan(machine.path("vcpus").asInt(), machine.path("memory_mib").asInt(),
                            machine.path("smt").asBoolean(), machine.path("accelerator").asText("auto")),
                    hashes);
        } catch (IllegalArgumentException e) {
            throw new ArcboxException.FailedPrecondition("snapshot " + dir + ": malformed " + FILE + ": " + e.getMessage());
        }
    }

    private static String relative(SnapshotFiles files, Path path) {
        Path rel = files.dir().relativize(path);
        if (rel.startsWith("..") || rel.isAbsolute()) {
            throw new IllegalArgumentException("snapshot file " + path + " lies outside " + files.dir());
        }
        return rel.toString();
    }

    private static String text(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || !node.isTextual()) {
            throw new IllegalArgumentException("missing field " + field);
        }
        return node.asText();
    }

    private static Optional<Path> optional(Path dir, JsonNode root, String field) {
        return root.has(field) ? Optional.of(inside(dir, text(root, field))) : Optional.empty();
    }

    /** A name from the manifest, which must stay inside the snapshot directory. */
    private static Path inside(Path dir, String name) {
        Path path = dir.resolve(name).normalize();
        if (!path.startsWith(dir.normalize()) || name.contains("/")) {
            throw new IllegalArgumentException("file name '" + name + "' escapes the snapshot directory");
        }
        return path;
    }
}
