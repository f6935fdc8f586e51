package dev.arcbox.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The guest assets {@code make guest} publishes: a kernel, the initramfs holding the agent, and
 * the base root file system, each in a content-addressed directory that never changes once
 * published. {@code default.json} in the images directory names the current set.
 *
 * @param kernel the uncompressed ELF kernel
 * @param kernelBzImage the compressed kernel
 * @param initrd the initramfs (agent as /init, virtio modules)
 * @param rootfs the read-only base ext4 image
 * @param kernelVersion the kernel release string
 * @param hashes sha256 of {@code kernel}, {@code initrd} and {@code rootfs}
 */
public record GuestImage(
        Path kernel, Path kernelBzImage, Path initrd, Path rootfs, String kernelVersion, Map<String, String> hashes) {

    public static final String MANIFEST = "default.json";

    public GuestImage {
        hashes = Map.copyOf(hashes);
    }

    /** Reads {@code default.json} from {@code imagesDir}. */
    public static GuestImage load(Path imagesDir) {
        Path manifest = imagesDir.resolve(MANIFEST);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(manifest));
        } catch (NoSuchFileException e) {
            throw new ArcboxException.FailedPrecondition(
                    "guest image manifest " + manifest + " not found: run 'make guest'");
        } catch (IOException e) {
            throw new ArcboxException.FailedPrecondition("reading guest image manifest " + manifest + ": " + e.getMessage());
        }
        JsonNode sha = root.path("sha256");
        return new GuestImage(
                path(root, "kernel", manifest),
                path(root, "kernel_bzimage", manifest),
                path(root, "initrd", manifest),
                path(root, "rootfs", manifest),
                root.path("kernel_version").asText(""),
                Map.of("kernel", sha.path("kernel").asText(""),
                        "initrd", sha.path("initrd").asText(""),
                        "rootfs", sha.path("rootfs").asText("")));
    }

    private static Path path(JsonNode root, String key, Path manifest) {
        String value = root.path(key).asText("");
        if (value.isEmpty()) {
            throw new ArcboxException.FailedPrecondition("guest image manifest " + manifest + " lacks '" + key + "'");
        }
        return Path.of(value);
    }
}
