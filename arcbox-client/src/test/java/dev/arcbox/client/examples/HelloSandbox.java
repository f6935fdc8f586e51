package dev.arcbox.client.examples;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.arcbox.client.ArcboxClient;
import dev.arcbox.client.Command;
import dev.arcbox.client.Execution;
import dev.arcbox.client.RunResult;
import dev.arcbox.client.Sandbox;
import dev.arcbox.client.Snapshot;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The README's Java example, compiled and run by the build (against a fake daemon in
 * HelloSandboxTest, against a real arcboxd in the daemon's ClientExampleTest):
 * {@code HelloSandbox [SOCKET]}.
 */
public final class HelloSandbox {

    private HelloSandbox() {}

    public static void main(String[] args) throws Exception {
        run(args.length > 0 ? Path.of(args[0]) : ArcboxClient.DEFAULT_SOCKET, System.out);
    }

    // README:begin
    public static void run(Path socket, PrintStream out) throws Exception {
        try (ArcboxClient arcbox = ArcboxClient.connect(socket);
                Sandbox sandbox = arcbox.newSandbox().memoryMib(256).create()) {   // waits until ready
            RunResult uname = sandbox.run("uname", "-s");                            // collects the output
            out.println("exit " + uname.exitCode() + ": " + uname.stdoutText().strip());

            sandbox.files().write("/tmp/hello.txt", "hello from Java\n".getBytes(UTF_8));
            out.print(new String(sandbox.files().readAllBytes("/tmp/hello.txt"), UTF_8));

            try (Execution cat = sandbox.exec(Command.of("cat").withStdin())) {      // a streamed process
                try (OutputStream stdin = cat.stdin()) {
                    stdin.write("piped through cat\n".getBytes(UTF_8));
                }                                                                     // closing stdin sends EOF
                out.print(new String(cat.stdout().readAllBytes(), UTF_8));
                out.println("cat exited " + cat.waitFor(Duration.ofSeconds(60)).exitCode());
            }

            Snapshot snapshot = sandbox.checkpoint("hello");                         // the origin keeps running
            try (Sandbox clone = arcbox.restore(snapshot.id())) {                    // removed at the end
                out.print("clone sees: " + new String(clone.files().readAllBytes("/tmp/hello.txt"), UTF_8));
            }
            arcbox.deleteSnapshot(snapshot.id());
        }
    }
    // README:end
}
