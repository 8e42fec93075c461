// Hand-made protobuf messages and CRIU image files, and the fixtures' location, for the test targets.

public import Foundation

/// Builds protobuf messages and CRIU image files by hand, for cases the fixtures lack.
public struct Proto: Sendable {
    public var bytes: [UInt8] = []

    /// A message of these encoded bytes (empty by default).
    public init(bytes: [UInt8] = []) { self.bytes = bytes }

    /// The varint encoding of `value`.
    public static func varint(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    /// Appends a varint field.
    public func varint(_ field: Int, _ value: UInt64) -> Proto {
        var copy = self
        copy.bytes += Proto.varint(UInt64(field << 3)) + Proto.varint(value)
        return copy
    }

    /// Appends a zigzag (sint) field.
    public func sint(_ field: Int, _ value: Int64) -> Proto {
        varint(field, UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends a length-delimited field.
    public func bytes(_ field: Int, _ data: [UInt8]) -> Proto {
        var copy = self
        copy.bytes += Proto.varint(UInt64(field << 3 | 2)) + Proto.varint(UInt64(data.count)) + data
        return copy
    }

    /// Appends a string field.
    public func string(_ field: Int, _ text: String) -> Proto { bytes(field, Array(text.utf8)) }

    /// Appends a nested message.
    public func message(_ field: Int, _ sub: Proto) -> Proto { bytes(field, sub.bytes) }

    /// Appends a packed repeated varint field.
    public func packed(_ field: Int, _ values: [UInt64]) -> Proto {
        bytes(field, values.flatMap { Proto.varint($0) })
    }
}

/// The byte order of an image's words.
public enum Endian: Sendable { case little, big }

/// Assembles an image file: magic words, then each entry as a size word, the message and an optional payload.
public func image(_ magics: [UInt32], _ entries: [(Proto, [UInt8])], endian: Endian = .little) -> [UInt8] {
    func word(_ v: UInt32) -> [UInt8] {
        let le = [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        return endian == .little ? le : le.reversed()
    }
    var out: [UInt8] = []
    for m in magics { out += word(m) }
    for (message, payload) in entries {
        out += word(UInt32(message.bytes.count)) + message.bytes + payload
    }
    return out
}

/// Assembles an image file of messages without payloads.
public func image(_ magics: [UInt32], _ messages: [Proto], endian: Endian = .little) -> [UInt8] {
    image(magics, messages.map { ($0, []) }, endian: endian)
}

/// The project's `Fixtures/` directory, for test targets that have no locator of their own.
public enum FixtureFiles {
    /// `Fixtures/` of this checkout.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// The path of a fixture, relative to `Fixtures/`.
    public static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// A new empty directory under the temporary directory, named `prefix-UUID`.
    public static func temporaryDirectory(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
