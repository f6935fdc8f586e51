package dev.arcbox.daemon;

/** The guest host name the daemon derives from a sandbox id (mirrors core's rule, for assertions). */
final class VmPlannerNames {

    private VmPlannerNames() {}

    static String hostname(String id) {
        String h = id.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        return h.length() > 63 ? h.substring(0, 63) : h;
    }
}
