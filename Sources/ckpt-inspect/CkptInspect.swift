import ArgumentParser
import CheckpointArchive

@main
struct CkptInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ckpt-inspect",
        abstract: "Open container checkpoints (CRIU images, Podman / CRI-O / containerd archives) and say what is inside.",
        version: VersionInfo.text(version: toolVersion),
        subcommands: [List.self, Show.self, Inspect.self, PS.self, Files.self, Sockets.self, Mounts.self, Maps.self, Mem.self, Search.self, Decode.self, Encode.self, Info.self, Diff.self, Verify.self, TriageCommand.self, InFlight.self, FS.self, Yara.self, Logs.self, Host.self, HTMLReportCommand.self]
    )

    /// The tool's version (`--version`, and the `tool_version` of `host`'s node files).
    static let toolVersion = "0.1.0"

    /// Parses the command line as bytes: a file name that is not UTF-8 reaches the commands in
    /// its display form (``RawPath``), not repaired into the name of another file.
    ///
    /// Every usage error, the parser's or a command's, is one line `ckpt-inspect: <what>: <problem>`
    /// naming the option and the value, with exit status 2 (``UsageError``, ``UsageMessage``);
    /// `--help` and `--version` are printed as the parser prints them.
    static func main() {
        POSIX.tuneAllocator()
        guard let arguments = RawPath.commandLine() else { Self.exit(withError: ExitCode.usage) }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // Help, version and completion scripts: as the parser prints them.
            if exitCode(for: error) == .success { Self.exit(withError: error) }
            let text = message(for: error)
            // A command's validate() that printed its own error and threw an exit code.
            if text.isEmpty { Self.exit(withError: error) }
            Output.error(UsageMessage.line(text, arguments: arguments))
            Self.exit(withError: ExitCode.usage)
        }
        do {
            try command.run()
        } catch let error as UsageError {
            Output.error(error.description)
            Self.exit(withError: ExitCode.usage)
        } catch let error as ValidationError {
            Output.error(UsageMessage.line(error.message, arguments: arguments))
            Self.exit(withError: ExitCode.usage)
        } catch let error as ExitCode {
            Self.exit(withError: error)
        } catch {
            // `help <command>` runs a command that throws the help (exit 0) for the parser to print.
            if exitCode(for: error) == .success { Self.exit(withError: error) }
            // Anything else a command lets through is reported in the same convention, as bad data.
            let text = message(for: error)
            if !text.isEmpty { Output.error(UsageMessage.oneLine(text)) }
            Self.exit(withError: ExitCode.badData)
        }
    }
}
