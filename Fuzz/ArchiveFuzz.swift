// libFuzzer target: bytes as a checkpoint archive (tar, tar.gz, tar.zst... told apart by magic)
// through CheckpointSource. CheckpointSource opens paths, so each input is written to one
// temporary file first. Every member is resolved and read (whole, positional, streamed), and
// nested tars are listed. Tight limits keep decompression bombs within -rss_limit_mb.
// Built by Scripts/fuzz.sh against the instrumented CheckpointArchive module.

import CheckpointArchive

#if canImport(Glibc)
import Glibc
#endif

let archiveFuzzPath = "/tmp/ckpt-inspect-fuzz-archive-\(getpid()).bin"

@_cdecl("LLVMFuzzerTestOneInput")
public func archiveFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let fd = open(archiveFuzzPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    var written = 0
    while written < size {
        let n = write(fd, data + written, size - written)
        if n <= 0 { break }
        written += n
    }
    close(fd)
    let options = CheckpointSource.Options(
        inMemoryLimit: 1 << 20, retainedLimit: 8 << 20, maxUncompressedBytes: 64 << 20, maxMembers: 4096)
    guard let source = try? CheckpointSource.open(path: archiveFuzzPath, options: options) else { return 0 }
    _ = try? source.image(named: "inventory.img")
    _ = try? source.member(named: "checkpoint/pstree.img")
    var files: [ArchiveMember] = []
    for member in source.members.prefix(512) {
        _ = try? source.resolve(member)
        switch member.kind {
        case .file, .hardlink, .symlink:
            if (try? source.read(member, maxBytes: 1 << 20)) != nil { files.append(member) }
            _ = try? source.read(member, at: member.size / 2, count: 64)
        default:
            break
        }
        if member.path.hasSuffix(".tar") || member.path.hasSuffix(".tar.gz.img") {
            _ = try? source.listNestedArchive(member, maxMembers: 1024)
        }
    }
    try? source.stream(files, chunkSize: 4096) { _, _ in }
    return 0
}
