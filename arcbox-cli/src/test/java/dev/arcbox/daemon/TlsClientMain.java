package dev.arcbox.daemon;

import dev.arcbox.client.ArcboxClient;
import dev.arcbox.client.ArcboxClientException;
import java.nio.file.Path;

/**
 * Run by {@link TcpTlsVmTest} inside the daemon's network namespace (a test JVM cannot enter
 * one): connects to arcboxd's TCP listener with the Java client's TLS path and prints one line
 * per outcome. Arguments: host, port, trusted certificate (PEM), token.
 */
public final class TlsClientMain {

    private TlsClientMain() {}

    public static void main(String[] args) {
        try (ArcboxClient client = ArcboxClient.connectTcp(args[0], Integer.parseInt(args[1]), Path.of(args[2]),
                args[3])) {
            System.out.println("sandboxes " + client.list().size());
            System.out.println("info " + client.info().getVersion());
        } catch (ArcboxClientException e) {
            System.out.println("refused " + e.code() + ": " + e.getMessage());
        }
    }
}
