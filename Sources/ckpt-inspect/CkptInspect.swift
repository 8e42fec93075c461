import ArgumentParser

@main
struct CkptInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ckpt-inspect",
        abstract: "Open container checkpoints (CRIU images, Podman / CRI-O / containerd archives) and say what is inside.",
        version: VersionInfo.text(version: "0.1.0"),
        subcommands: [List.self, Show.self, Inspect.self, PS.self, Files.self, Sockets.self, Mounts.self, Maps.self, Mem.self, Search.self, Decode.self, Info.self, Diff.self, Verify.self, Logs.self, HTMLReportCommand.self]
    )
}
