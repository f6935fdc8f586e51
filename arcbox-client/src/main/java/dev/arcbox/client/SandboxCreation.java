package dev.arcbox.client;

import dev.arcbox.api.v1.CreateSandboxRequest;
import dev.arcbox.api.v1.NetworkSpec;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A sandbox about to be created: fluent setters for the common fields, {@link #request(Consumer)}
 * for any other field of {@link CreateSandboxRequest}. Unset fields take the daemon's defaults.
 * Not thread-safe; use once.
 */
public final class SandboxCreation {

    private final ArcboxClient client;
    private final CreateSandboxRequest.Builder request = CreateSandboxRequest.newBuilder().setWait(true);

    SandboxCreation(ArcboxClient client) {
        this.client = client;
    }

    /** Its id; default generated. */
    public SandboxCreation id(String id) {
        request.setId(Objects.requireNonNull(id, "id"));
        return this;
    }

    public SandboxCreation vcpus(int vcpus) {
        request.getLimitsBuilder().setVcpus(vcpus);
        return this;
    }

    public SandboxCreation memoryMib(long memoryMib) {
        request.getLimitsBuilder().setMemoryMib(memoryMib);
        return this;
    }

    public SandboxCreation label(String key, String value) {
        request.putLabels(key, value);
        return this;
    }

    /** A variable of every command's default environment. */
    public SandboxCreation env(String key, String value) {
        request.putEnv(key, value);
        return this;
    }

    /** "none" (the daemon's default) or "tap". */
    public SandboxCreation network(String mode) {
        request.setNetwork(NetworkSpec.newBuilder().setMode(mode));
        return this;
    }

    /** Removed by the daemon after this long. */
    public SandboxCreation ttl(Duration ttl) {
        request.setTtlSeconds(Math.toIntExact(ttl.toSeconds()));
        return this;
    }

    /** Bytes of the writable disk (sparse). */
    public SandboxCreation diskSize(long bytes) {
        request.setDiskSize(bytes);
        return this;
    }

    /** Whether {@link #create()} waits until the sandbox is ready (default true). */
    public SandboxCreation waitReady(boolean wait) {
        request.setWait(wait);
        return this;
    }

    /** Any other field of the request. */
    public SandboxCreation request(Consumer<CreateSandboxRequest.Builder> edit) {
        edit.accept(request);
        return this;
    }

    /** Creates it; by default returns once it is ready. */
    public Sandbox create() {
        return client.create(request.build());
    }
}
