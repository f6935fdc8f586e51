package dev.arcbox.core.network;

import com.fasterxml.jackson.databind.JsonNode;
import dev.arcbox.core.ArcboxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The sandboxes' TAP devices: persistent TAPs named {@code abx} + the sandbox's uid, enslaved to the
 * bridge as isolated ports. Every link whose name has that form is ours, and no other link is ever
 * changed or deleted here (a name of another form is refused).
 *
 * <p>A TAP joins the bridge's layer 2 only when it is {@link #up}: {@link #create} leaves it down so
 * that a clone's TAP carries nothing until its agent has taken its new identity. Every method
 * measures first and acts only on a difference, so each is idempotent. Not synchronized: one caller
 * per TAP at a time (the sandbox's lock).
 */
public final class Taps {

    /** The prefix of every TAP of ours. */
    public static final String PREFIX = "abx";

    private static final Pattern UID = Pattern.compile("[a-z0-9]{8}");
    private static final Pattern NAME = Pattern.compile(PREFIX + "[a-z0-9]{1,12}");

    private final NetCommands commands;

    public Taps(NetCommands commands) {
        this.commands = commands;
    }

    /** The TAP of sandbox {@code uid}: {@code abx} + uid, 11 bytes. */
    public static String nameFor(String uid) {
        if (uid == null || !UID.matcher(uid).matches()) {
            throw new ArcboxException.InvalidArgument("tap name: sandbox uid must be 8 characters [a-z0-9], got "
                    + NetPolicyValidator.quote(uid));
        }
        return PREFIX + uid;
    }

    /** The sandbox uid a TAP of ours is named after, or empty when {@code name} is not such a name. */
    public static Optional<String> uidOf(String name) {
        return name != null && NAME.matcher(name).matches() && UID.matcher(name.substring(PREFIX.length())).matches()
                ? Optional.of(name.substring(PREFIX.length()))
                : Optional.empty();
    }

    /**
     * Makes the persistent TAP {@code name} (when absent) as an isolated port of {@code bridge}, left
     * down. When this call made the TAP and enslaving it fails, the TAP is deleted again.
     *
     * @throws ArcboxException.FailedPrecondition when a link of that name exists and is not a TAP
     */
    public void create(String name, String bridge) {
        checkName(name);
        Optional<JsonNode> link = Links.find(commands, name);
        boolean made = false;
        if (link.isEmpty()) {
            commands.run("ip", "tuntap", "add", "dev", name, "mode", "tap");
            made = true;
        } else if (!isTap(link.get())) {
            throw new ArcboxException.FailedPrecondition("creating tap " + name + ": a link of that name exists and is a "
                    + Links.kind(link.get()) + ", not a tap");
        }
        try {
            attach(name, bridge);
        } catch (RuntimeException e) {
            if (made) {
                try {
                    commands.run("ip", "link", "del", "dev", name);
                } catch (RuntimeException undo) {
                    e.addSuppressed(undo);
                }
            }
            throw e;
        }
    }

    /**
     * Enslaves the existing link {@code name} (a TAP; any link of ours, such as a veth end in tests) to
     * {@code bridge} with port isolation on. Leaves its up/down state alone.
     *
     * @throws ArcboxException.NotFound when there is no such link
     */
    public void attach(String name, String bridge) {
        checkName(name);
        JsonNode link = Links.find(commands, name).orElseThrow(() -> new ArcboxException.NotFound("attaching " + name + " to bridge "
                + bridge + ": no such link"));
        boolean enslaved = bridge.equals(link.path("master").asText(null));
        if (!enslaved) {
            commands.run("ip", "link", "set", "dev", name, "master", bridge);
        }
        boolean isolated = enslaved && link.path("linkinfo").path("info_slave_data").path("isolated").asBoolean(false);
        if (!isolated) {
            commands.run("bridge", "link", "set", "dev", name, "isolated", "on");
        }
    }

    /** Brings {@code name} up: from now on it carries frames. */
    public void up(String name) {
        setState(name, true);
    }

    /** Brings {@code name} down: it carries nothing until {@link #up} again. */
    public void down(String name) {
        setState(name, false);
    }

    /** Deletes {@code name}; nothing happens when it does not exist. */
    public void delete(String name) {
        checkName(name);
        if (Links.find(commands, name).isEmpty()) {
            return;
        }
        NetCommands.Result result = commands.attempt("ip", "link", "del", "dev", name);
        if (!result.ok() && Links.find(commands, name).isPresent()) {
            throw new ArcboxException.HostFailure("deleting tap " + name + ": " + result.errorText(), null);
        }
    }

    /** Whether the link {@code name} exists. */
    public boolean exists(String name) {
        checkName(name);
        return Links.find(commands, name).isPresent();
    }

    /** The names of all links of ours ({@code abx} + [a-z0-9]), sorted. */
    public List<String> list() {
        List<String> names = new ArrayList<>();
        for (JsonNode link : CommandJson.read(commands.run("ip", "-json", "link", "show"))) {
            String name = link.path("ifname").asText("");
            if (NAME.matcher(name).matches()) {
                names.add(name);
            }
        }
        return names.stream().sorted().toList();
    }

    /**
     * Deletes every link of ours that no live sandbox owns: those not named {@code abx} + a uid in
     * {@code liveUids}. Keeps going past a failure; the first failure is thrown at the end with the
     * others suppressed.
     *
     * @return the names deleted
     */
    public List<String> sweep(Set<String> liveUids) {
        List<String> removed = new ArrayList<>();
        ArcboxException failure = null;
        for (String name : list()) {
            Optional<String> uid = uidOf(name);
            if (uid.isPresent() && liveUids.contains(uid.get())) {
                continue;
            }
            try {
                delete(name);
                removed.add(name);
            } catch (ArcboxException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        return List.copyOf(removed);
    }

    private void setState(String name, boolean up) {
        checkName(name);
        JsonNode link = Links.find(commands, name).orElseThrow(() -> new ArcboxException.NotFound("setting tap " + name + " "
                + (up ? "up" : "down") + ": no such link"));
        boolean isUp = false;
        for (JsonNode flag : link.path("flags")) {
            isUp |= "UP".equals(flag.asText());
        }
        if (isUp != up) {
            commands.run("ip", "link", "set", "dev", name, up ? "up" : "down");
        }
    }


    private static boolean isTap(JsonNode link) {
        JsonNode info = link.path("linkinfo");
        return "tun".equals(info.path("info_kind").asText()) && "tap".equals(info.path("info_data").path("type").asText());
    }


    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ArcboxException.InvalidArgument("tap name: must be " + PREFIX + " followed by 1-12 of [a-z0-9], got "
                    + NetPolicyValidator.quote(name));
        }
    }
}
