package dev.arcbox.client;

import dev.arcbox.client.testing.FakeGuest;
import dev.arcbox.client.testing.FakeSandboxes;
import dev.arcbox.client.testing.FakeServer;
import io.grpc.BindableService;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A fake daemon (guest, sandboxes, snapshots) on a socket in {@code dir}, and a client connected to it. */
final class ClientFixture implements AutoCloseable {

    final FakeGuest guest = new FakeGuest();
    final FakeSandboxes sandboxes = new FakeSandboxes();
    final FakeServer server;
    final ArcboxClient client;

    ClientFixture(Path dir) throws IOException {
        List<BindableService> services = new ArrayList<>(guest.services());
        services.addAll(sandboxes.services());
        Path socket = dir.resolve("arcbox.sock");
        server = FakeServer.start(socket, services);
        client = ArcboxClient.connect(socket);
        sandboxes.live.add("sb");
    }

    Sandbox sandbox() {
        return client.sandbox("sb");
    }

    @Override
    public void close() {
        client.close();
        server.close();
    }
}
