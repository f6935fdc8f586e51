package dev.arcbox.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.core.fs.FileTree;
import dev.arcbox.core.testing.TestRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * arcboxd's TCP listener (TLS and a bearer token) through the Java client's {@code connectTcp}:
 * a real daemon in its own network namespace, listening on that namespace's loopback, and the
 * client run inside the namespace too ({@link TlsClientMain}). The certificate is made for the
 * run with openssl (an EC key, subjectAltName IP:127.0.0.1).
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TcpTlsVmTest {

    private static final String TOKEN = "tok-" + "0123456789abcdef0123456789abcdef";
    private static final String ADDRESS = "127.0.0.1";
    private static final int PORT = 7443;

    private DaemonProcess daemon;
    private String netns;
    private Path work;
    private Path cert;

    @BeforeAll
    void daemonOnTcp() throws Exception {
        TestRun.assumeQemuHost();
        netns = DaemonProcess.netns("tls");
        work = Files.createDirectories(TestRun.baseDir().resolve("tls-work-" + TestRun.id()));
        cert = work.resolve("cert.pem");
        Path key = work.resolve("key.pem");
        Path token = work.resolve("token");
        exec(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=" + ADDRESS,
                "-addext", "subjectAltName=IP:" + ADDRESS));
        Files.writeString(token, TOKEN + "\n");
        daemon = new DaemonProcess("tls-" + TestRun.id(), netns, "");
        Files.writeString(daemon.config, Files.readString(daemon.config).replace("[grpc]\n", "[grpc]\n"
                + "tcp_addr = \"" + ADDRESS + ":" + PORT + "\"\n"
                + "tls_cert = \"" + cert + "\"\ntls_key = \"" + key + "\"\ntoken_file = \"" + token + "\"\n"));
        daemon.start();
    }

    @AfterAll
    void cleanUp() {
        if (daemon != null) {
            daemon.close();
        }
        if (work != null) {
            FileTree.delete(work);
        }
    }

    @Test
    void theJavaClient_overTlsWithTheToken_isServed() throws Exception {
        assertThat(client(cert, TOKEN)).contains("sandboxes 0").contains("info 0.1.0");
    }

    @Test
    void aWrongToken_isUnauthenticated() throws Exception {
        assertThat(client(cert, TOKEN + "x")).contains("refused UNAUTHENTICATED")
                .contains("a valid bearer token is required");
    }

    @Test
    void aCertificateTheClientDoesNotTrust_isRefused() throws Exception {
        Path other = work.resolve("other.pem");
        exec(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", work.resolve("other-key.pem").toString(), "-out", other.toString(), "-days", "1",
                "-subj", "/CN=" + ADDRESS, "-addext", "subjectAltName=IP:" + ADDRESS));
        assertThat(client(other, TOKEN)).contains("refused UNAVAILABLE");
    }

    /** Runs {@link TlsClientMain} inside the daemon's namespace; its standard output and error. */
    private String client(Path trusted, String token) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), TlsClientMain.class.getName(), ADDRESS,
                Integer.toString(PORT), trusted.toString(), token));
        return exec(command);
    }

    private static String exec(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("%s finished", command.getFirst()).isTrue();
        assertThat(p.exitValue()).as("%s: %s", command, out).isZero();
        return out;
    }
}
