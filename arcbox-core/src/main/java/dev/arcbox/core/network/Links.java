package dev.arcbox.core.network;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arcbox.core.ArcboxException;
import java.util.Optional;

/** Reads one network link's state with {@code ip -json -details link show}. */
final class Links {

    private Links() {}

    /** The details of link {@code name}, or empty when it does not exist. */
    static Optional<JsonNode> find(NetCommands commands, String name) {
        NetCommands.Result result = commands.attempt("ip", "-json", "-details", "link", "show", "dev", name);
        if (!result.ok()) {
            if (result.stderr().contains("does not exist")) {
                return Optional.empty();
            }
            throw new ArcboxException.HostFailure(commands.describe(result.argv()) + ": " + result.errorText(), null);
        }
        JsonNode links = CommandJson.read(result);
        return links.isEmpty() ? Optional.empty() : Optional.of(links.get(0));
    }

    static boolean hasFlag(JsonNode link, String flag) {
        for (JsonNode f : link.path("flags")) {
            if (flag.equals(f.asText())) {
                return true;
            }
        }
        return false;
    }

    /** The link's kind ({@code bridge}, {@code tun}, {@code veth}, …), or "device" when it has none. */
    static String kind(JsonNode link) {
        return link.path("linkinfo").path("info_kind").asText("device");
    }
}
