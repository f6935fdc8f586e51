package dev.arcbox.core.spec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Microvm metadata service (arcbox-vm 0.1.4 {@code MmdsSpec}).
 *
 * @param networkInterfaces interfaces that can reach MMDS, at least one
 * @param version MMDS API version
 * @param ipv4Address MMDS address (Firecracker default 169.254.169.254), link-local
 * @param imdsCompat EC2 IMDS compatible responses
 * @param initialData the data store's initial content, a JSON object (kept as a private copy)
 */
public record MmdsSpec(
        List<String> networkInterfaces,
        MmdsVersion version,
        Optional<String> ipv4Address,
        boolean imdsCompat,
        Optional<ObjectNode> initialData) {

    public MmdsSpec {
        networkInterfaces = networkInterfaces == null ? List.of() : List.copyOf(networkInterfaces);
        version = Objects.requireNonNullElse(version, MmdsVersion.V1);
        ipv4Address = ipv4Address == null ? Optional.empty() : ipv4Address;
        initialData = initialData == null ? Optional.empty() : initialData.map(ObjectNode::deepCopy);
    }

    /** A copy of the initial data: the record's own copy is never handed out. */
    @Override
    public Optional<ObjectNode> initialData() {
        return initialData.map(ObjectNode::deepCopy);
    }
}
