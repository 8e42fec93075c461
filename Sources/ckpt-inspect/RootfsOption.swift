import ArgumentParser
import Checkpoint
import Foundation

/// `--rootfs DIR`, shared by the memory commands: where the mapped files are for the file-backed
/// pages CRIU did not dump.
struct RootfsOption: ParsableArguments {
    @Option(name: .long, help: "A directory holding the container image's root file system: file-backed pages CRIU did not dump are read from the mapped files there (else from the checkpoint's own copies: ghost files, rootfs diff, tmpfs), when their size and build ID are those the checkpoint recorded.")
    var rootfs: String?

    /// Checks that --rootfs names a directory (a usage error otherwise), before the checkpoint is opened.
    func validateDirectory() throws {
        guard let rootfs else { return }
        do {
            _ = try MappedFiles(rootfs: RawPath.resolve(rootfs))
        } catch {
            Output.error("\(rootfs): cannot open the root file system: \(error.message)")
            throw ExitCode.usage
        }
    }

    /// The mapped files of `c`: the root file system given, then the checkpoint's own copies.
    func files(for c: Checkpoint) throws -> MappedFiles {
        do {
            return try MappedFiles(rootfs: rootfs.map(RawPath.resolve), checkpoint: c)
        } catch {
            Output.error("\(rootfs ?? ""): cannot open the root file system: \(error.message)")
            throw ExitCode.usage
        }
    }

    /// With --rootfs, warns about each file looked up and not used.
    func warnRefusals(_ files: MappedFiles?, _ diagnostics: DiagnosticOptions) {
        guard rootfs != nil else { return }
        for (_, reason) in files?.refusals ?? [] { diagnostics.warn("\(RawPath.display(reason)) (its pages stay holes)") }
    }
}
