package dev.arcbox.core.config;

/**
 * {@code [limits]}: admission limits.
 *
 * @param maxSandboxes sandboxes that may exist at once
 * @param maxConcurrentBoots boots (and restores) in flight at once, at most {@code maxSandboxes}
 * @param memoryHeadroomMib host memory kept free: a sandbox is refused when its memory would eat
 *     into it
 * @param consoleLogMaxBytes what a sandbox's console log may keep on disk (both segments)
 */
public record LimitsConfig(int maxSandboxes, int maxConcurrentBoots, long memoryHeadroomMib, long consoleLogMaxBytes) {}
