// libFuzzer target: the checkpoint model (Checkpoint.open, process tree, files, mounts, engine
// metadata, page index, memory reads, cmdline/environment, search) over a small synthetic
// Podman-style archive whose members are fuzzed. The base is the images of
// Fixtures/raw/marker-static (directory named by $CKPT_FUZZ_MODEL_BASE, set by Scripts/fuzz.sh)
// under checkpoint/; the input replaces members:
//
//   input   = record*            (at most 8 records are used)
//   record  = index:u8  length:u16le  bytes[length]
//
// `index` picks a base member (modulo the count) or one of the engine files (config.dump,
// spec.dump) after them. Each case is written as a plain tar to one temporary file and opened.
// Built by Scripts/fuzz.sh against the instrumented CRIUImages, CheckpointArchive and Checkpoint modules.

import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The base members: name inside the archive and bytes.
let modelBase: [(name: String, bytes: [UInt8])] = {
    guard let base = ProcessInfo.processInfo.environment["CKPT_FUZZ_MODEL_BASE"] else {
        fatalError("set CKPT_FUZZ_MODEL_BASE to a CRIU images directory (Scripts/fuzz.sh does)")
    }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).filter { !$0.hasSuffix(".log") }.sorted()
    return names.compactMap { name in
        guard let data = FileManager.default.contents(atPath: base + "/" + name) else { return nil }
        return ("checkpoint/" + name, [UInt8](data))
    }
}()

/// Members the engine writes beside checkpoint/, absent from the base unless the input adds them.
let modelExtras = ["config.dump", "spec.dump"]

let modelFuzzPath = "/tmp/ckpt-inspect-fuzz-model-\(getpid()).tar"

/// A ustar header for a regular file.
func tarHeader(name: String, size: Int) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 512)
    func put(_ text: String, at offset: Int) {
        for (i, byte) in text.utf8.enumerated() { header[offset + i] = byte }
    }
    func octal(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
    }
    put(name, at: 0)
    put(octal(0o600, width: 8), at: 100)
    put(octal(0, width: 8), at: 108)
    put(octal(0, width: 8), at: 116)
    put(octal(size, width: 12), at: 124)
    put(octal(0, width: 12), at: 136)
    header[156] = UInt8(ascii: "0")
    put("ustar", at: 257)
    put("00", at: 263)
    for i in 148..<156 { header[i] = 0x20 }
    let sum = header.reduce(0) { $0 + Int($1) }
    put(octal(sum, width: 7), at: 148)
    return header
}

@_cdecl("LLVMFuzzerTestOneInput")
public func modelFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var members = modelBase
    var extras: [(name: String, bytes: [UInt8])] = []
    var at = 0
    var records = 0
    while at + 3 <= size, records < 8 {
        let index = Int(data[at])
        let length = min(Int(data[at + 1]) | Int(data[at + 2]) << 8, size - at - 3)
        let bytes = Array(UnsafeBufferPointer(start: data + at + 3, count: length))
        at += 3 + length
        records += 1
        let slot = index % (members.count + modelExtras.count)
        if slot < members.count {
            members[slot].bytes = bytes
        } else {
            extras.append((modelExtras[slot - members.count], bytes))
        }
    }
    var tar: [UInt8] = []
    for member in extras + members {
        tar += tarHeader(name: member.name, size: member.bytes.count)
        tar += member.bytes
        tar += [UInt8](repeating: 0, count: (512 - member.bytes.count % 512) % 512)
    }
    tar += [UInt8](repeating: 0, count: 1024)
    guard FileManager.default.createFile(atPath: modelFuzzPath, contents: Data(tar)) else { return 0 }

    var options = Checkpoint.Options()
    options.source = CheckpointSource.Options(inMemoryLimit: 1 << 20, retainedLimit: 8 << 20, maxUncompressedBytes: 64 << 20, maxMembers: 4096)
    guard let c = try? Checkpoint.open(modelFuzzPath, options: options) else { return 0 }
    for process in c.processes.prefix(8) {
        _ = try? c.commandLine(pid: process.pid)
        _ = try? c.environment(pid: process.pid)
        guard let space = try? c.addressSpace(process.pid) else { continue }
        for vma in space.vmas.prefix(16) {
            _ = try? c.readMemory(in: space, address: vma.start, length: min(vma.end &- vma.start, 1 << 16))
        }
    }
    _ = try? MemorySearch(pattern: .bytes(Array("CKPT".utf8)), maxHits: 64).run(in: c)
    return 0
}
