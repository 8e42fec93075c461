import ArgumentParser
import Checkpoint
import CRIUImages
import Foundation

struct MemDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write a process's memory regions to files named by address.",
        discussion: "Writes one file per VMA (or the given range) into DIR, named <pid>-<start>-<end>.bin; pages the checkpoint does not hold are left as holes (sparse, reading as zeros) and listed in <pid>-holes.txt. Files are created with mode 0600, never through symlinks, and existing files are kept unless --force.")

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @Option(name: .long, help: "The process.") var pid: UInt32
    @Option(name: .long, help: "Only the VMA containing this address (hex).") var vma: String?
    @Option(name: .long, help: "Only this range, START-END in hex.") var range: String?
    @Option(name: [.short, .long], help: "The output directory (created if missing).") var output: String
    @Flag(name: .long, help: "Write one ELF core file (<pid>.core) readable by gdb and readelf instead of region files.") var core = false
    @Flag(name: .long, help: "Overwrite existing files.") var force = false
    @Option(name: .long, help: "A separate archive or directory with the parent (pre-dump) images.") var previous: String?
    @OptionGroup var diagnostics: DiagnosticOptions
    @OptionGroup var pods: PodSelection

    func run() throws {
        let targets = try pods.targets(path, previous: previous, progress: diagnostics.reading(path), diagnostics: diagnostics)
        let withProcess = try targets.having(pid: pid, path: path)
        if !targets.isPod { _ = try selectProcesses(withProcess[0].checkpoint, pid: pid) }
        // A pod's containers each get a directory of their own under the one named.
        let base = targets.isPod ? try SafeOutput.directory(output) : output
        for t in withProcess {
            let directory = try t.container.map { name throws in try SafeOutput.directory(SafeOutput.child(base, try PodSelection.directoryName(name))) } ?? base
            try dump(t.checkpoint, into: directory)
        }
        try targets.finish()
    }

    func dump(_ c: Checkpoint, into output: String) throws {
        guard let space = try withCheckpointErrors({ () throws(CheckpointError) in try c.addressSpace(pid) }) else {
            Output.error("\(path): process \(pid) has no address space")
            throw ExitCode.badData
        }
        if core {
            let directory = try SafeOutput.directory(output)
            let target = SafeOutput.child(directory, "\(pid).core")
            let handle = try SafeOutput.open(target, force: force)
            let size = try withCheckpointErrorsThrowing { try ELFCoreWriter(checkpoint: c, pid: pid).write { handle.write(Data($0)) } }
            Output.write("wrote \(target) (\(Size.text(size)))\n")
            return
        }
        var regions: [Range<UInt64>] = []
        if let range {
            regions = [try parseRange(range)]
        } else if let vma {
            guard let a = parseAddress(vma), let i = space.vmaIndex(containing: a) else {
                Output.error("\(path): pid \(pid): no VMA contains \(vma)")
                throw ExitCode.usage
            }
            regions = [space.vmas[i].start..<space.vmas[i].end]
        } else {
            regions = space.vmas.enumerated().filter { space.kind(of: $0.offset) != .vvar }.map { $0.element.start..<$0.element.end }
        }
        let directory = try SafeOutput.directory(output)
        // Every region's file is open during the copy (a compressed archive is streamed once for
        // all of them): as many at a time as the descriptor limit allows, raised to its maximum.
        let batchSize = max(16, Self.raiseDescriptorLimit() - 64)
        var holes: [String] = []
        var damaged: [MemorySegment] = []
        var written: UInt64 = 0
        for batchStart in stride(from: 0, to: regions.count, by: batchSize) {
            let batch = regions[batchStart..<min(regions.count, batchStart + batchSize)]
            var handles: [Foundation.FileHandle] = []
            for region in batch {
                let name = "\(pid)-\(String(region.lowerBound, radix: 16))-\(String(region.upperBound, radix: 16)).bin"
                let handle = try SafeOutput.open(SafeOutput.child(directory, name), force: force)
                // The final size first: holes stay sparse, and writes never extend the file.
                try handle.truncate(atOffset: region.upperBound - region.lowerBound)
                handles.append(handle)
            }
            // Dumped bytes are copied file to file; holes are left sparse.
            let results = try withCheckpointErrors { () throws(CheckpointError) in
                try c.writeMemory(in: space, to: zip(batch, handles).map { ($0, $1.fileDescriptor) })
            }
            for (handle, result) in zip(handles, results) {
                try handle.close()
                written += result.written
                damaged += result.holes.filter { $0.hole == .damaged }
                for hole in result.holes {
                    holes.append("\(String(hole.address, radix: 16))-\(String(hole.address + hole.length, radix: 16)) \(hole.hole?.rawValue ?? "")")
                }
            }
        }
        if !holes.isEmpty {
            try SafeOutput.write(Data((holes.joined(separator: "\n") + "\n").utf8), to: SafeOutput.child(directory, "\(pid)-holes.txt"), force: force)
        }
        Output.write("\(regions.count) regions of pid \(pid) written to \(directory) (\(Size.text(written)) from the checkpoint, \(holes.count) holes)\n")
        try failOnDamage(c, holes: damaged, pid: pid)
    }

    /// Raises the soft limit on open descriptors to the hard limit; returns the soft limit now in force.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, 1 << 20))
    }
}
