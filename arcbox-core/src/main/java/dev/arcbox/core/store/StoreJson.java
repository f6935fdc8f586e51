package dev.arcbox.core.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arcbox.core.driver.DiskPlan;
import dev.arcbox.core.driver.MachinePlan;
import dev.arcbox.core.driver.NicPlan;
import dev.arcbox.core.driver.VmPlan;
import dev.arcbox.core.driver.VmRecord;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON columns' formats. Written explicitly field by field (snake_case, maps sorted, paths as
 * plain strings) so the persisted form does not drift with the Java types; the golden file
 * {@code vm-record-v1.json} pins {@code vm_json}. Readers ignore fields they do not know.
 */
final class StoreJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StoreJson() {}

    /** Throws {@link IllegalArgumentException} naming {@code what} unless {@code json} is one JSON value. */
    static void requireJson(String what, String json) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new IllegalArgumentException(what + ": must be a JSON value, got an empty string");
            }
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + ": must be JSON: " + e.getOriginalMessage());
        }
    }

    static String labels(Map<String, String> labels) {
        ObjectNode node = JSON.createObjectNode();
        new TreeMap<>(labels).forEach(node::put);
        return node.toString();
    }

    static Map<String, String> labels(String json) {
        Map<String, String> labels = new LinkedHashMap<>();
        read(json).properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }

    static String resources(OwnedResources r) {
        ObjectNode node = JSON.createObjectNode();
        node.put("tap", r.tap());
        node.put("ip", r.ip());
        ArrayNode rules = node.putArray("rules");
        r.rules().forEach(rules::add);
        ArrayNode dirs = node.putArray("dirs");
        r.dirs().forEach(d -> dirs.add(d.toString()));
        return node.toString();
    }

    static OwnedResources resources(String json) {
        JsonNode node = read(json);
        List<String> rules = new ArrayList<>();
        node.path("rules").forEach(n -> rules.add(n.asText()));
        List<Path> dirs = new ArrayList<>();
        node.path("dirs").forEach(n -> dirs.add(Path.of(n.asText())));
        return new OwnedResources(text(node, "tap"), text(node, "ip"), rules, dirs);
    }

    static String vm(VmRecord vm) {
        if (vm == null) {
            return null;
        }
        ObjectNode node = JSON.createObjectNode();
        node.put("vm_id", vm.vmId());
        node.put("driver", vm.driver());
        node.put("pid", vm.pid());
        node.put("start_time", vm.startTime());
        node.put("run_dir", string(vm.runDir()));
        VmPlan p = vm.plan();
        ObjectNode plan = node.putObject("plan");
        plan.put("vm_id", p.vmId());
        plan.put("run_dir", string(p.runDir()));
        plan.put("console_log", string(p.consoleLog()));
        ObjectNode machine = plan.putObject("machine");
        machine.put("vcpus", p.machine().vcpus());
        machine.put("memory_mib", p.machine().memoryMib());
        machine.put("smt", p.machine().smt());
        machine.put("accelerator", p.machine().accelerator());
        plan.put("kernel", string(p.kernel()));
        plan.put("initrd", string(p.initrd()));
        plan.put("kernel_args", p.kernelArgs());
        ArrayNode disks = plan.putArray("disks");
        for (DiskPlan d : p.disks()) {
            disks.addObject().put("id", d.id()).put("path", string(d.path())).put("read_only", d.readOnly())
                    .put("serial", d.serial());
        }
        ArrayNode nics = plan.putArray("nics");
        for (NicPlan n : p.nics()) {
            nics.addObject().put("id", n.id()).put("tap_name", n.tapName()).put("mac", n.mac());
        }
        plan.put("agent_port", p.agentPort());
        ObjectNode hashes = plan.putObject("asset_hashes");
        new TreeMap<>(p.assetHashes()).forEach(hashes::put);
        ObjectNode state = node.putObject("driver_state");
        new TreeMap<>(vm.driverState()).forEach(state::put);
        return node.toString();
    }

    static VmRecord vm(String json) {
        if (json == null) {
            return null;
        }
        JsonNode node = read(json);
        JsonNode p = node.path("plan");
        JsonNode m = p.path("machine");
        List<DiskPlan> disks = new ArrayList<>();
        p.path("disks").forEach(d -> disks.add(new DiskPlan(text(d, "id"), path(d, "path"),
                d.path("read_only").asBoolean(), text(d, "serial"))));
        List<NicPlan> nics = new ArrayList<>();
        p.path("nics").forEach(n -> nics.add(new NicPlan(text(n, "id"), text(n, "tap_name"), text(n, "mac"))));
        VmPlan plan = new VmPlan(text(p, "vm_id"), path(p, "run_dir"), path(p, "console_log"),
                new MachinePlan(m.path("vcpus").asInt(), m.path("memory_mib").asInt(), m.path("smt").asBoolean(),
                        text(m, "accelerator")),
                path(p, "kernel"), path(p, "initrd"), text(p, "kernel_args"), disks, nics, text(p, "agent_port"),
                map(p.path("asset_hashes")));
        return new VmRecord(text(node, "vm_id"), text(node, "driver"), node.path("pid").asLong(),
                node.path("start_time").asLong(), path(node, "run_dir"), plan, map(node.path("driver_state")));
    }

    static String steps(List<StepRecord> steps) {
        ArrayNode array = JSON.createArrayNode();
        for (StepRecord s : steps) {
            ObjectNode node = array.addObject();
            node.put("name", s.name());
            node.put("status", s.status() == StepRecord.Status.DONE ? "done" : "started");
            node.put("result", s.result());
            node.put("started_at", s.startedAt().toEpochMilli());
            if (s.doneAt() == null) {
                node.putNull("done_at");
            } else {
                node.put("done_at", s.doneAt().toEpochMilli());
            }
        }
        return array.toString();
    }

    static List<StepRecord> steps(String json) {
        List<StepRecord> steps = new ArrayList<>();
        for (JsonNode n : read(json)) {
            StepRecord.Status status = "done".equals(text(n, "status")) ? StepRecord.Status.DONE
                    : StepRecord.Status.STARTED;
            Instant doneAt = n.path("done_at").isNumber() ? Instant.ofEpochMilli(n.path("done_at").asLong()) : null;
            steps.add(new StepRecord(text(n, "name"), status, text(n, "result"),
                    Instant.ofEpochMilli(n.path("started_at").asLong()), doneAt));
        }
        return steps;
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            // the schema's json_valid checks make this unreachable for rows this code wrote
            throw new IllegalStateException("unreadable JSON in the database: " + e.getOriginalMessage(), e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static Path path(JsonNode node, String field) {
        String value = text(node, field);
        return value == null ? null : Path.of(value);
    }

    private static String string(Path path) {
        return path == null ? null : path.toString();
    }

    private static Map<String, String> map(JsonNode node) {
        Map<String, String> map = new LinkedHashMap<>();
        node.properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }
}
