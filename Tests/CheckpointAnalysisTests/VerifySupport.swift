import CheckpointAnalysis
import CRIUImages
import Foundation

/// Fixtures for the verify tests: located with #filePath, copied before they are damaged.
enum VerifyFixture {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// Copies `Fixtures/<relative>` (symlinks kept) into a fresh temporary directory; returns the copy.
    static func copy(_ relative: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-verify-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try run("/bin/cp", ["-a", path(relative), dir.path])
        return dir.appendingPathComponent((relative as NSString).lastPathComponent)
    }

    static func run(_ executable: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    static func remove(_ dir: URL) {
        try? FileManager.default.removeItem(at: dir.deletingLastPathComponent())
    }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    static func write(_ bytes: [UInt8], _ url: URL) throws { try Data(bytes).write(to: url) }

    /// Cuts `count` bytes off the end of a file.
    static func truncate(_ url: URL, by count: Int) throws {
        let b = try bytes(url)
        try write(Array(b.dropLast(count)), url)
    }
}

/// A protobuf message as a list of fields, editable and re-encodable (tests only).
struct Proto {
    enum Value {
        case varint(UInt64)
        case fixed64([UInt8])
        case bytes([UInt8])
        case fixed32([UInt8])
    }

    var fields: [(number: Int, value: Value)] = []

    init(_ bytes: [UInt8]) {
        var i = 0
        func varint() -> UInt64 {
            var result: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                result |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            return result
        }
        while i < bytes.count {
            let key = varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append((number, .varint(varint())))
            case 1: fields.append((number, .fixed64(Array(bytes[i..<i + 8])))); i += 8
            case 2:
                let n = Int(varint())
                fields.append((number, .bytes(Array(bytes[i..<i + n]))))
                i += n
            case 5: fields.append((number, .fixed32(Array(bytes[i..<i + 4])))); i += 4
            default: return
            }
        }
    }

    static func encodeVarint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        repeat {
            var b = UInt8(v & 0x7f)
            v >>= 7
            if v != 0 { b |= 0x80 }
            out.append(b)
        } while v != 0
        return out
    }

    var serialized: [UInt8] {
        var out: [UInt8] = []
        for (number, value) in fields {
            switch value {
            case .varint(let v): out += Self.encodeVarint(UInt64(number << 3)) + Self.encodeVarint(v)
            case .fixed64(let b): out += Self.encodeVarint(UInt64(number << 3 | 1)) + b
            case .bytes(let b): out += Self.encodeVarint(UInt64(number << 3 | 2)) + Self.encodeVarint(UInt64(b.count)) + b
            case .fixed32(let b): out += Self.encodeVarint(UInt64(number << 3 | 5)) + b
            }
        }
        return out
    }

    func varint(_ number: Int) -> UInt64? {
        for (n, v) in fields where n == number { if case .varint(let x) = v { return x } }
        return nil
    }

    /// Sets every occurrence of a varint field (appends it when absent).
    mutating func set(_ number: Int, _ value: UInt64) {
        var found = false
        for i in fields.indices where fields[i].number == number {
            fields[i].value = .varint(value)
            found = true
        }
        if !found { fields.append((number, .varint(value))) }
    }

    /// The indices in ``fields`` of a length-delimited field's occurrences.
    func positions(_ number: Int) -> [Int] {
        fields.indices.filter { fields[$0].number == number }
    }

    /// The `index`-th occurrence of a nested message field.
    func message(_ number: Int, _ index: Int = 0) -> Proto {
        guard case .bytes(let b) = fields[positions(number)[index]].value else { return Proto([]) }
        return Proto(b)
    }

    mutating func setMessage(_ number: Int, _ index: Int = 0, _ message: Proto) {
        fields[positions(number)[index]].value = .bytes(message.serialized)
    }

    /// Edits the `index`-th occurrence of a nested message in place.
    mutating func edit(_ number: Int, _ index: Int = 0, _ body: (inout Proto) -> Void) {
        var m = message(number, index)
        body(&m)
        setMessage(number, index, m)
    }

    mutating func swap(_ number: Int, _ a: Int, _ b: Int) {
        let p = positions(number)
        fields.swapAt(p[a], p[b])
    }
}

/// An image file split into its magic, entry messages and the payload after each entry, for rewriting.
struct ImageEdit {
    var header: [UInt8]
    var messages: [[UInt8]] = []
    var payloads: [[UInt8]] = []
    let url: URL

    init(_ url: URL) throws {
        self.url = url
        let bytes = try VerifyFixture.bytes(url)
        let image = try ImageFile.parse(bytes, fileName: url.lastPathComponent)
        header = Array(bytes[0..<(image.entries.first?.offset ?? bytes.count)])
        for (i, e) in image.entries.enumerated() {
            messages.append(Array(bytes[e.range]))
            let next = i + 1 < image.entries.count ? image.entries[i + 1].offset : bytes.count
            payloads.append(Array(bytes[e.range.upperBound..<next]))
        }
    }

    var bytes: [UInt8] {
        var out = header
        for (m, p) in zip(messages, payloads) {
            withUnsafeBytes(of: UInt32(m.count).littleEndian) { out += $0 }
            out += m + p
        }
        return out
    }

    func write() throws { try VerifyFixture.write(bytes, url) }

    /// Edits entry `index` as a protobuf message.
    mutating func edit(_ index: Int, _ body: (inout Proto) -> Void) {
        var p = Proto(messages[index])
        body(&p)
        messages[index] = p.serialized
    }

    mutating func remove(_ index: Int) {
        messages.remove(at: index)
        payloads.remove(at: index)
    }

    mutating func swap(_ a: Int, _ b: Int) {
        messages.swapAt(a, b)
        payloads.swapAt(a, b)
    }

    /// The index of the first entry satisfying `predicate`.
    func index(where predicate: (Proto) -> Bool) -> Int? {
        messages.firstIndex { predicate(Proto($0)) }
    }
}

extension VerificationReport {
    var errorIDs: Set<String> { Set(errors.map(\.id)) }
}
