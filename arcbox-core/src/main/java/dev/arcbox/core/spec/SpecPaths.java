package dev.arcbox.core.spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Confinement of a spec's host paths. Image files (kernel, initrd, rootfs, drives) must be
 * regular files inside an image directory after every symbolic link is resolved; the serial
 * console file must stay inside the sandboxes directory. A path is first checked lexically, so
 * nothing outside the allowed directories is ever looked at on the host (a client cannot probe
 * which host files exist).
 */
final class SpecPaths {

    private final List<Path> imageDirs;
    private final List<Path> realImageDirs = new ArrayList<>();
    private final Path sandboxesDir;
    private final Violations violations;

    SpecPaths(List<Path> imageDirs, Path sandboxesDir, Violations violations) {
        this.imageDirs = imageDirs.stream().map(Path::normalize).toList();
        for (Path dir : this.imageDirs) {
            try {
                realImageDirs.add(dir.toRealPath());
            } catch (IOException e) {
                // a missing image directory holds nothing
            }
        }
        this.sandboxesDir = sandboxesDir.normalize();
        this.violations = violations;
    }

    /** The real path of an image file, or null after reporting why it is refused. */
    Path image(String field, Path path) {
        if (!wellFormed(field, path)) {
            return null;
        }
        if (imageDirs.stream().noneMatch(dir -> inside(path, dir)) && realImageDirs.stream().noneMatch(dir -> inside(path, dir))) {
            violations.add(field, "must lie inside an image directory (" + dirs() + "), got " + path);
            return null;
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            violations.add(field, "no such file: " + path);
            return null;
        }
        if (realImageDirs.stream().noneMatch(dir -> inside(real, dir))) {
            violations.add(field, path + " resolves to " + real + ", outside the image directories (" + dirs() + ")");
            return null;
        }
        if (!Files.isRegularFile(real)) {
            violations.add(field, "not a regular file: " + path);
            return null;
        }
        return real;
    }

    /** The serial console file with links resolved as far as it exists, or null after reporting. */
    Path serialOut(String field, Path path) {
        if (!wellFormed(field, path)) {
            return null;
        }
        if (!inside(path, sandboxesDir)) {
            violations.add(field, "must lie inside " + sandboxesDir + ", got " + path);
            return null;
        }
        Path resolved;
        Path realBase;
        try {
            resolved = resolveExisting(path);
            realBase = resolveExisting(sandboxesDir);
        } catch (IOException e) {
            violations.add(field, "cannot resolve " + path + ": " + e.getMessage());
            return null;
        }
        if (!inside(resolved, realBase)) {
            violations.add(field, path + " resolves to " + resolved + ", outside " + sandboxesDir);
            return null;
        }
        if (Files.isDirectory(resolved)) {
            violations.add(field, "is a directory: " + path);
            return null;
        }
        return resolved;
    }

    private boolean wellFormed(String field, Path path) {
        if (!path.isAbsolute()) {
            violations.add(field, "must be an absolute path, got '" + path + "'");
            return false;
        }
        for (Path part : path) {
            if (part.toString().equals("..") || part.toString().equals(".")) {
                violations.add(field, "must be normalized (no '.' or '..'), got " + path);
                return false;
            }
        }
        return true;
    }

    /** {@code path} with links resolved in its longest existing prefix; the rest appended. */
    private static Path resolveExisting(Path path) throws IOException {
        if (Files.exists(path)) {
            return path.toRealPath();
        }
        if (Files.isSymbolicLink(path)) {
            throw new IOException("dangling symbolic link");
        }
        Path parent = path.getParent();
        return parent == null ? path : resolveExisting(parent).resolve(path.getFileName());
    }

    private static boolean inside(Path path, Path dir) {
        return path.startsWith(dir) && !path.equals(dir);
    }

    private String dirs() {
        return imageDirs.stream().map(Path::toString).collect(Collectors.joining(", "));
    }
}
