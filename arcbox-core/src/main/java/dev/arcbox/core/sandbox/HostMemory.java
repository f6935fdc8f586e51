package dev.arcbox.core.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's memory figures from /proc/meminfo. */
public final class HostMemory {

    private HostMemory() {}

    /** MemAvailable in MiB, or -1 when unknown. */
    public static long availableMib() {
        return field("MemAvailable:");
    }

    /** MemTotal in MiB, or -1 when unknown. */
    public static long totalMib() {
        return field("MemTotal:");
    }

    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
