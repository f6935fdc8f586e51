package dev.arcbox.client.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arcbox.client.testing.FakeGuest;
import dev.arcbox.client.testing.FakeSandboxes;
import dev.arcbox.client.testing.FakeServer;
import io.grpc.BindableService;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HelloSandboxTest {

    @TempDir
    Path dir;

    @Test
    void theReadmeExample_runsAgainstAFakeDaemon_andLeavesNoSandbox() throws Exception {
        FakeGuest guest = new FakeGuest();
        FakeSandboxes sandboxes = new FakeSandboxes();
        List<BindableService> services = new ArrayList<>(guest.services());
        services.addAll(sandboxes.services());
        Path socket = dir.resolve("arcbox.sock");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (FakeServer _ = FakeServer.start(socket, services)) {
            HelloSandbox.run(socket, new PrintStream(printed, true, StandardCharsets.UTF_8));
        }

        assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo("""
                exit 0: uname -s
                hello from Java
                piped through cat
                cat exited 0
                clone sees: hello from Java
                """);
        assertThat(sandboxes.live).isEmpty();
    }

    @Test
    void theReadme_quotesTheExampleAsItIs() throws Exception {
        Path module = Path.of("").toAbsolutePath();
        String source = java.nio.file.Files.readString(
                module.resolve("src/test/java/dev/arcbox/client/examples/HelloSandbox.java"));
        String quoted = source.substring(source.indexOf("// README:begin\n") + "// README:begin\n".length(),
                source.indexOf("// README:end")).stripIndent();
        String readme = java.nio.file.Files.readString(module.resolveSibling("README.md"));

        assertThat(readme).contains("```java\n" + quoted + "```\n");
    }
}
