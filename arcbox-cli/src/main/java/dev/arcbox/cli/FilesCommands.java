package dev.arcbox.cli;

import dev.arcbox.api.v1.FileInfo;
import dev.arcbox.client.SandboxFiles;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code arcbox sandbox files ...}: a sandbox's file system, one FilesService call each. */
@Command(name = "files", description = "List, stat, make, remove and rename files in a sandbox (see also 'sandbox cp').")
final class FilesCommands {

    @ParentCommand
    private SandboxCommands sandboxes;

    @Command(name = "ls", description = "List a directory of a sandbox: mode, size, modification time, name.")
    int ls(
            @Parameters(index = "0", paramLabel = "ID") String id,
            @Parameters(index = "1", paramLabel = "PATH", defaultValue = "/", description = "absolute (default: /)") String path,
            @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                    description = "output format (default: table)") Output.Format format,
            @Option(names = "--json", description = "same as -o json") boolean json) {
        return with(id, files -> {
            List<FileInfo> entries = files.list(path);
            Output out = sandboxes.arcbox().output();
            if (json || format == Output.Format.JSON) {
                out.jsonArray(entries);
            } else {
                out.table(List.of("MODE", "SIZE", "MODIFIED", "NAME"), entries.stream().map(FilesCommands::row).toList());
            }
            return ExitCodes.OK;
        });
    }

    @Command(name = "stat", description = "Show one path of a sandbox.")
    int stat(
            @Parameters(index = "0", paramLabel = "ID") String id,
            @Parameters(index = "1", paramLabel = "PATH") String path,
            @Option(names = {"-o", "--output"}, paramLabel = "table|json", defaultValue = "table",
                    description = "output format (default: table)") Output.Format format) {
        return with(id, files -> {
            FileInfo info = files.stat(path);
            Output out = sandboxes.arcbox().output();
            if (format == Output.Format.JSON) {
                out.json(info);
            } else {
                out.fields(List.of(
                        new Output.Field("path", info.getPath()),
                        new Output.Field("type", info.getType()),
                        new Output.Field("size", Long.toUnsignedString(info.getSize())),
                        new Output.Field("mode", String.format("%04o", info.getMode())),
                        new Output.Field("owner", info.getUid() + ":" + info.getGid()),
                        new Output.Field("modified", out.when(info.getModifiedAt())),
                        new Output.Field("target", Output.orNone(info.getSymlinkTarget()))));
            }
            return ExitCodes.OK;
        });
    }

    @Command(name = "mkdir", description = "Make a directory in a sandbox.")
    int mkdir(
            @Option(names = {"-p", "--parents"}, description = "make parents as needed; no error if it exists") boolean parents,
            @Parameters(index = "0", paramLabel = "ID") String id,
            @Parameters(index = "1", paramLabel = "PATH") String path) {
        return with(id, files -> {
            files.mkdir(path, parents);
            return ExitCodes.OK;
        });
    }

    @Command(name = "rm", description = "Remove a file or an empty directory from a sandbox.")
    int rm(
            @Option(names = {"-r", "--recursive"}, description = "a directory and everything in it") boolean recursive,
            @Parameters(index = "0", paramLabel = "ID") String id,
            @Parameters(index = "1", paramLabel = "PATH") String path) {
        return with(id, files -> {
            files.remove(path, recursive);
            return ExitCodes.OK;
        });
    }

    @Command(name = "mv", description = "Rename a path in a sandbox.")
    int mv(
            @Option(names = {"-f", "--force"}, description = "replace an existing destination") boolean force,
            @Parameters(index = "0", paramLabel = "ID") String id,
            @Parameters(index = "1", paramLabel = "FROM") String from,
            @Parameters(index = "2", paramLabel = "TO") String to) {
        return with(id, files -> {
            files.rename(from, to, force);
            return ExitCodes.OK;
        });
    }

    private int with(String id, Function<SandboxFiles, Integer> action) {
        return sandboxes.arcbox().withClient(client -> action.apply(client.library().sandbox(id).files()));
    }

    private static List<String> row(FileInfo f) {
        String name = f.getType().equals("symlink") && !f.getSymlinkTarget().isEmpty()
                ? f.getName() + " -> " + f.getSymlinkTarget() : f.getName();
        return List.of(mode(f), Long.toUnsignedString(f.getSize()),
                f.getModifiedAt() == 0 ? Output.NONE : Instant.ofEpochSecond(f.getModifiedAt()).toString(), name);
    }

    /** {@code drwxr-xr-x}, as ls prints it. */
    static String mode(FileInfo f) {
        char type = switch (f.getType()) {
            case "dir" -> 'd';
            case "symlink" -> 'l';
            case "file" -> '-';
            default -> '?';
        };
        StringBuilder sb = new StringBuilder().append(type);
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            sb.append((f.getMode() & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        }
        return sb.toString();
    }
}
