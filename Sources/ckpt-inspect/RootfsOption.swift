import ArgumentParser
import Checkpoint
import Foundation

/// `--rootfs DIR`, shared by the memory commands: where the mapped files are for the file-backed
/// pages CRIU did not dump.
struct RootfsOption: ParsableArguments {
    @Option(name: .long, help: "A directory holding the container image's root file system: file-backed pages CRIU did not dump are read from the mapped files there, when their size and build ID are those the checkpoint recorded.")
    var rootfs: String?

    /// The mapped files, or nil without --rootfs; a directory that cannot be opened is a usage error.
    func open() throws -> MappedFiles? {
        guard let rootfs else { return nil }
        do {
            return try MappedFiles(rootfs: RawPath.resolve(rootfs))
        } catch {
            Output.error("\(rootfs): cannot open the root file system: \(error.message)")
            throw ExitCode.usage
        }
    }

    /// Warns about each file looked up in the root file system and not used.
    func warnRefusals(_ files: MappedFiles?, _ diagnostics: DiagnosticOptions) {
        for (_, reason) in files?.refusals ?? [] { diagnostics.warn("\(RawPath.display(reason)) (its pages stay holes)") }
    }
}
