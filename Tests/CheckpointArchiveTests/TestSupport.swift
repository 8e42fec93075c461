import Foundation
import Testing
@testable import CheckpointArchive

/// Where the repository's fixtures live, found from this file's path.
enum Fixture {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()  // CheckpointArchiveTests
        url.deleteLastPathComponent()  // Tests
        url.deleteLastPathComponent()  // package root
        return url.appendingPathComponent("Fixtures").path
    }()

    static func podman(_ name: String) -> String { root + "/podman/" + name }
    static func raw(_ name: String) -> String { root + "/raw/" + name }
}

/// A fresh temporary directory, removed by `cleanup()`.
struct TempDir {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "ckpt-archive-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a shell command line; fails the test on a non-zero exit.
@discardableResult
func shell(_ command: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "command failed: \(command)", sourceLocation: sourceLocation)
    return String(decoding: data, as: UTF8.self)
}

func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Runs `body` and returns the ArchiveError it throws (or records an issue).
func archiveError<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) -> ArchiveError? {
    do {
        let value = try body()
        Issue.record("expected an ArchiveError, got a \(type(of: value))", sourceLocation: sourceLocation)
        return nil
    } catch let error as ArchiveError {
        return error
    } catch {
        Issue.record("expected an ArchiveError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Opens a damaged archive and returns the damage it records (or records an issue): an archive
/// with readable members opens, keeping them, and says where reading stopped.
func archiveDamage(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> CheckpointSource
) -> ArchiveDamage? {
    do {
        let source = try body()
        if source.damage == nil { Issue.record("expected damage, the archive opened whole", sourceLocation: sourceLocation) }
        return source.damage
    } catch {
        Issue.record("expected the archive to open with damage recorded, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Writes tar archives byte by byte: ustar headers with checksums, optional pax records and
/// base-256 sizes, so tests can craft what real tools will not produce.
struct TarWriter {
    enum SizeField {
        case octal(UInt64)
        case base256(UInt64)
    }

    private(set) var bytes: [UInt8] = []

    static func header(
        name: [UInt8], type: UInt8, size: SizeField, link: [UInt8] = [], mode: UInt32 = 0o644,
        mtime: UInt64 = 1_700_000_000
    ) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ field: [UInt8], at offset: Int, width: Int) {
            for (i, b) in field.prefix(width).enumerated() { h[offset + i] = b }
        }
        func octal(_ value: UInt64, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(name, at: 0, width: 100)
        put(octal(UInt64(mode), width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)
        put(octal(0, width: 8), at: 116, width: 8)
        switch size {
        case .octal(let value):
            put(octal(value, width: 12), at: 124, width: 12)
        case .base256(let value):
            var field = [UInt8](repeating: 0, count: 12)
            field[0] = 0x80
            var v = value
            for i in stride(from: 11, through: 4, by: -1) {
                field[i] = UInt8(v & 0xff)
                v >>= 8
            }
            put(field, at: 124, width: 12)
        }
        put(octal(mtime, width: 12), at: 136, width: 12)
        put(Array(repeating: 0x20, count: 8), at: 148, width: 8)
        h[156] = type
        put(link, at: 157, width: 100)
        put(Array("ustar".utf8) + [0], at: 257, width: 6)
        put(Array("00".utf8), at: 263, width: 2)
        put(Array("root".utf8), at: 265, width: 32)
        put(Array("root".utf8), at: 297, width: 32)
        let sum = h.reduce(0) { $0 + UInt64($1) }
        put(octal(sum, width: 7) + [0x20], at: 148, width: 8)
        return h
    }

    mutating func pad() {
        let rest = bytes.count % 512
        if rest != 0 { bytes += [UInt8](repeating: 0, count: 512 - rest) }
    }

    mutating func file(_ name: String, _ data: [UInt8] = [], mode: UInt32 = 0o644) {
        file(Array(name.utf8), data, mode: mode)
    }

    mutating func file(_ name: [UInt8], _ data: [UInt8], mode: UInt32 = 0o644) {
        bytes += Self.header(name: name, type: UInt8(ascii: "0"), size: .octal(UInt64(data.count)), mode: mode)
        bytes += data
        pad()
    }

    mutating func directory(_ name: String) {
        bytes += Self.header(name: Array(name.utf8), type: UInt8(ascii: "5"), size: .octal(0), mode: 0o755)
    }

    mutating func symlink(_ name: String, to target: String) {
        bytes += Self.header(name: Array(name.utf8), type: UInt8(ascii: "2"), size: .octal(0), link: Array(target.utf8), mode: 0o777)
    }

    mutating func hardlink(_ name: String, to target: String) {
        bytes += Self.header(name: Array(name.utf8), type: UInt8(ascii: "1"), size: .octal(0), link: Array(target.utf8))
    }

    /// A pax extended header (type `x`) that applies to the next member.
    mutating func pax(_ records: [(String, String)]) {
        var body: [UInt8] = []
        for (key, value) in records {
            let payload = " \(key)=\(value)\n"
            var length = payload.utf8.count + 1
            while String(length).utf8.count + payload.utf8.count != length { length += 1 }
            body += Array((String(length) + payload).utf8)
        }
        bytes += Self.header(name: Array("PaxHeader".utf8), type: UInt8(ascii: "x"), size: .octal(UInt64(body.count)))
        bytes += body
        pad()
    }

    /// Appends raw bytes (a header with a lying size, junk, ...).
    mutating func raw(_ data: [UInt8]) { bytes += data }

    /// The end-of-archive marker: two zero blocks.
    mutating func finish() { bytes += [UInt8](repeating: 0, count: 1024) }
}
