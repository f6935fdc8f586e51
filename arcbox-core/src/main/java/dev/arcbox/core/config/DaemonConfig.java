package dev.arcbox.core.config;

import dev.arcbox.core.ArcboxException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The daemon's configuration ({@code arcbox.toml}): the seed's {@code VmmConfig} (arcbox-vm 0.1.4,
 * {@code src/config.rs}) under its TOML names, plus driver choice, image directories, QEMU and
 * limits. A loaded config is valid: every value has been checked.
 *
 * @param driver which driver runs sandboxes
 * @param dataDir root of the daemon's state (also accepted as {@code [firecracker].data_dir})
 * @param images directories a sandbox spec's kernel, initrd, rootfs and drives must lie in
 * @param firecracker {@code [firecracker]}
 * @param qemu {@code [qemu]}
 * @param network {@code [network]}
 * @param grpc {@code [grpc]}
 * @param defaults {@code [defaults]}
 * @param limits {@code [limits]}
 * @param metrics {@code [metrics]}
 */
public record DaemonConfig(
        Driver driver,
        Path dataDir,
        List<Path> images,
        FirecrackerConfig firecracker,
        QemuConfig qemu,
        NetworkConfig network,
        GrpcConfig grpc,
        DefaultVmConfig defaults,
        LimitsConfig limits,
        MetricsConfig metrics) {

    public DaemonConfig {
        images = List.copyOf(images);
    }

    /** The top-level {@code driver} choice. */
    public enum Driver {
        /** Firecracker when it is installed and KVM is usable, else QEMU. */
        AUTO,
        QEMU,
        FIRECRACKER;

        /** The lower-case name used in config. */
        public String token() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Loads the configuration: the embedded defaults ({@code defaults.toml} next to this class),
     * with {@code file} merged onto them when given. The file may set any subset of keys.
     *
     * @throws ArcboxException.InvalidArgument when the file is missing or not TOML (with line and
     *     column), or listing every unknown key and invalid value by its key path
     * @throws ArcboxException.HostFailure when the file exists but cannot be read
     */
    public static DaemonConfig load(Optional<Path> file) {
        if (file.isEmpty()) {
            return ConfigReader.load("", "<defaults>");
        }
        Path path = file.get();
        String text;
        try {
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new ArcboxException.InvalidArgument("config " + path + ": no such file");
        } catch (CharacterCodingException e) {
            throw new ArcboxException.InvalidArgument("config " + path + ": not utf-8 text");
        } catch (IOException e) {
            throw new ArcboxException.HostFailure("reading config " + path + ": " + e.getMessage(), e);
        }
        return ConfigReader.load(text, path.toString());
    }

    /** The embedded defaults alone. */
    public static DaemonConfig builtIn() {
        return load(Optional.empty());
    }

    /** The directory holding one subdirectory per sandbox: {@code data_dir/sandboxes}. */
    public Path sandboxesDir() {
        return dataDir.resolve("sandboxes");
    }
}
