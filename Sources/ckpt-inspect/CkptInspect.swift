import ArgumentParser

@main
struct CkptInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ckpt-inspect",
        abstract: "Open container checkpoints (CRIU images, Podman / CRI-O / containerd archives) and say what is inside.",
        version: VersionInfo.text(version: toolVersion),
        subcommands: [List.self, Show.self, Inspect.self, PS.self, Files.self, Sockets.self, Mounts.self, Maps.self, Mem.self, Search.self, Decode.self, Encode.self, Info.self, Diff.self, Verify.self, Logs.self, Host.self, HTMLReportCommand.self]
    )

    /// The tool's version (`--version`, and the `tool_version` of `host`'s node files).
    static let toolVersion = "0.1.0"

    /// Parses the command line as bytes: a file name that is not UTF-8 reaches the commands in
    /// its display form (``RawPath``), not repaired into the name of another file.
    static func main() {
        guard let arguments = RawPath.commandLine() else { Self.exit(withError: ExitCode.usage) }
        main(arguments)
    }
}
