package dev.arcbox.cli;

import dev.arcbox.api.v1.FileInfo;
import dev.arcbox.client.ArcboxClientException;
import dev.arcbox.client.SandboxFiles;
import dev.arcbox.client.WriteOptions;
import io.grpc.Status;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code arcbox sandbox cp SRC DST}: copies a file (or with -r a directory) between this host and
 * a sandbox, streamed in chunks, never whole in memory. Exactly one side is {@code ID:PATH}; a
 * local path with a colon is written {@code ./a:b}. {@code -} is our stdin or stdout.
 */
@Command(name = "cp", description = {
        "Copy files between this host and a sandbox: cp [-r] SRC DST, one side ID:/PATH.",
        "- as SRC reads our stdin, as DST writes our stdout. A DST that is a directory (or ends",
        "with /) receives SRC under its own name. Downloads replace the local file only once complete."})
final class CpCommand implements Callable<Integer> {

    /** One side of the copy: a sandbox path, or a local one ({@code sandbox} null). */
    record Endpoint(String sandbox, String path) {
        boolean remote() {
            return sandbox != null;
        }

        boolean stdio() {
            return sandbox == null && path.equals("-");
        }

        /**
         * {@code ID:PATH} when there is a colon before any slash; {@code -}, paths starting with
         * {@code /} or {@code .}, and anything else are local.
         */
        static Endpoint parse(String arg) {
            int colon = arg.indexOf(':');
            int slash = arg.indexOf('/');
            if (arg.equals("-") || arg.startsWith("/") || arg.startsWith(".") || colon <= 0
                    || (slash >= 0 && slash < colon)) {
                return new Endpoint(null, arg);
            }
            return new Endpoint(arg.substring(0, colon), arg.substring(colon + 1));
        }
    }

    @ParentCommand
    private SandboxCommands sandboxes;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-r", "--recursive"}, description = "copy directories and what they hold")
    boolean recursive;

    @Option(names = {"-p", "--parents"}, description = "into a sandbox: make missing parent directories")
    boolean parents;

    @Parameters(index = "0", paramLabel = "SRC")
    String source;

    @Parameters(index = "1", paramLabel = "DST")
    String destination;

    @Override
    public Integer call() {
        Endpoint src = Endpoint.parse(source);
        Endpoint dst = Endpoint.parse(destination);
        if (src.remote() == dst.remote()) {
            throw usage("exactly one of SRC and DST must be ID:/PATH (a sandbox path)");
        }
        Endpoint remote = src.remote() ? src : dst;
        if (!remote.path().startsWith("/")) {
            throw usage("'" + (src.remote() ? source : destination) + "': the sandbox path must be absolute");
        }
        if (src.stdio() && dst.path().endsWith("/")) {
            throw usage("from stdin, DST must name a file, not a directory");
        }
        Arcbox arcbox = sandboxes.arcbox();
        return arcbox.withClient(client -> {
            SandboxFiles files = client.library().sandbox(remote.sandbox()).files();
            try {
                return src.remote() ? download(arcbox, files, src.path(), dst) : upload(arcbox, files, src, dst.path());
            } catch (NoSuchFileException e) {
                return local(arcbox, "no such file or directory: " + e.getFile(), ExitCodes.of(Status.Code.NOT_FOUND));
            } catch (FileAlreadyExistsException e) {
                return local(arcbox, "exists: " + e.getFile(), ExitCodes.of(Status.Code.ALREADY_EXISTS));
            } catch (IOException e) {
                return local(arcbox, e.getMessage(), ExitCodes.OTHER);
            }
        });
    }

    private int upload(Arcbox arcbox, SandboxFiles files, Endpoint src, String dst) throws IOException {
        WriteOptions options = parents ? WriteOptions.DEFAULT.withParents() : WriteOptions.DEFAULT;
        if (src.stdio()) {
            files.write(dst, arcbox.in(), options);
            return ExitCodes.OK;
        }
        Path local = Path.of(src.path());
        if (!Files.exists(local)) {
            throw new NoSuchFileException(local.toString());
        }
        String target = into(files, dst, local.getFileName().toString());
        if (Files.isDirectory(local)) {
            if (!recursive) {
                return local(arcbox, local + " is a directory (use -r)", ExitCodes.USAGE);
            }
            uploadTree(files, local, target);
            return ExitCodes.OK;
        }
        files.write(target, local, options.withMode(mode(local)));
        return ExitCodes.OK;
    }

    private void uploadTree(SandboxFiles files, Path root, String target) throws IOException {
        files.mkdir(target, true);
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.skip(1)::iterator) {
                String remote = target + "/" + root.relativize(p).toString();
                if (Files.isDirectory(p)) {
                    files.mkdir(remote, true);
                } else if (Files.isRegularFile(p)) {
                    files.write(remote, p, WriteOptions.DEFAULT.withMode(mode(p)));
                }
            }
        }
    }

    /** {@code dst}, or {@code dst/name} when it ends with / or is a directory in the sandbox. */
    private static String into(SandboxFiles files, String dst, String name) {
        if (dst.endsWith("/")) {
            return dst + name;
        }
        try {
            return files.stat(dst).getType().equals("dir") ? dst + "/" + name : dst;
        } catch (ArcboxClientException e) {
            if (e.code() == Status.Code.NOT_FOUND) {
                return dst;
            }
            throw e;
        }
    }

    private int download(Arcbox arcbox, SandboxFiles files, String src, Endpoint dst) throws IOException {
        FileInfo info = files.stat(src);
        boolean dir = info.getType().equals("dir");
        if (dir && !recursive) {
            return local(arcbox, src + " is a directory in the sandbox (use -r)", ExitCodes.USAGE);
        }
        if (dst.stdio()) {
            if (dir) {
                throw usage("a directory cannot go to stdout");
            }
            files.read(src, arcbox.out());
            arcbox.out().flush();
            return ExitCodes.OK;
        }
        Path local = Path.of(dst.path());
        String name = src.equals("/") ? "root" : src.substring(src.replaceAll("/+$", "").lastIndexOf('/') + 1);
        if (Files.isDirectory(local)) {
            local = local.resolve(name);
        }
        if (dir) {
            downloadTree(arcbox, files, src, local);
        } else {
            downloadFile(files, src, local);
        }
        return ExitCodes.OK;
    }

    private void downloadTree(Arcbox arcbox, SandboxFiles files, String src, Path local) throws IOException {
        Files.createDirectories(local);
        List<FileInfo> entries = files.list(src);
        for (FileInfo e : entries) {
            String remote = (src.endsWith("/") ? src : src + "/") + e.getName();
            switch (e.getType()) {
                case "dir" -> downloadTree(arcbox, files, remote, local.resolve(e.getName()));
                case "file" -> downloadFile(files, remote, local.resolve(e.getName()));
                default -> arcbox.err().println("arcbox: skipped " + remote + " (" + e.getType() + ")");
            }
        }
    }

    /** Into a temporary file beside {@code local}, moved over it once complete. */
    private static void downloadFile(SandboxFiles files, String src, Path local) throws IOException {
        Path parent = local.toAbsolutePath().getParent();
        Path partial = Files.createTempFile(parent, "." + local.getFileName() + ".", ".arcbox-partial");
        try {
            FileInfo info;
            try (OutputStream out = Files.newOutputStream(partial)) {
                info = files.read(src, out);
            }
            if (info.getMode() != 0) {
                try {
                    Files.setPosixFilePermissions(partial, permissions(info.getMode()));
                } catch (UnsupportedOperationException e) {
                    // a file system without POSIX permissions keeps its default
                }
            }
            Files.move(partial, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private static int mode(Path p) throws IOException {
        try {
            int mode = 0;
            for (var perm : Files.getPosixFilePermissions(p)) {
                mode |= 1 << (8 - perm.ordinal());
            }
            return mode;
        } catch (UnsupportedOperationException e) {
            return 0;
        }
    }

    private static java.util.Set<java.nio.file.attribute.PosixFilePermission> permissions(int mode) {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> perms =
                java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
        for (var perm : java.nio.file.attribute.PosixFilePermission.values()) {
            if ((mode & (1 << (8 - perm.ordinal()))) != 0) {
                perms.add(perm);
            }
        }
        return perms;
    }

    private static int local(Arcbox arcbox, String message, int exit) {
        arcbox.err().println("arcbox: cp: " + message);
        arcbox.err().flush();
        return exit;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
