package dev.arcbox.core.network;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.arcbox.core.ArcboxException;

/** Reads what {@code ip -json}, {@code bridge -json} and {@code nft -j} print. */
final class CommandJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CommandJson() {}

    /** The JSON of a successful command's stdout; an empty output reads as an empty array. */
    static JsonNode read(NetCommands.Result result) {
        String text = result.stdout().strip();
        if (text.isEmpty()) {
            return JSON.createArrayNode();
        }
        if (result.truncated()) {
            throw new ArcboxException.HostFailure("`" + String.join(" ", result.argv()) + "`: output over "
                    + NetCommands.MAX_STDOUT + " bytes, not read", null);
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ArcboxException.HostFailure("`" + String.join(" ", result.argv()) + "`: unreadable json: "
                    + e.getOriginalMessage(), e);
        }
    }
}
