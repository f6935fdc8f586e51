package dev.arcbox.core.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A separate daemon process for {@link StoreProcessTest}: {@code hold DIR} opens the store, prints
 * {@code open}, and closes it when stdin ends; {@code crash DIR} begins a create operation and halts
 * the JVM (no cleanup at all) at the crash point {@code create.boot.before}.
 */
public final class StoreChild {

    static final int HALT_STATUS = 77;

    private StoreChild() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "hold" -> {
                try (Store store = Store.open(dir)) {
                    System.out.println("open " + store.dataDir());
                    System.out.flush();
                    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                }
            }
            case "crash" -> {
                Store store = Store.open(dir);
                CrashPoints.install(point -> {
                    if (point.equals("create.boot.before")) {
                        Runtime.getRuntime().halt(HALT_STATUS);
                    }
                });
                Operation op = store.journal().begin("create", "aaaa0001",
                        tx -> tx.insertSandbox(Fixtures.sandbox("aaaa0001", "crashed")));
                op.step("create-tap", () -> "{\"tap\":\"abxaaaa0001\"}");
                op.step("boot", () -> null);
                throw new IllegalStateException("the crash point did not halt");
            }
            default -> throw new IllegalArgumentException("mode: hold or crash, got " + args[0]);
        }
    }
}
