import Testing
@testable import CRIUImages

/// `JSONValue.write(pretty:chunk:to:)` and `JSONStreamWriter` must give, byte for byte, what
/// `serializedBytes(pretty:)` gives for the whole document: `inspect --all --format json` streams
/// its processes through them.
@Suite struct JSONStreamWriterTests {
    /// crit's JSON of real images: a core image (nested objects, arrays of numbers and objects)
    /// and a files image (an array of many objects), as parsed values.
    static let documents = ["crit-json/forensic/core-7064.img.json", "crit-json/forensic/files.img.json"]

    static func collect(_ body: (@escaping (UnsafeRawBufferPointer) -> Void) -> Void) -> (bytes: [UInt8], pieces: Int) {
        var bytes: [UInt8] = [], pieces = 0
        body { bytes += $0; pieces += 1 }
        return (bytes, pieces)
    }

    @Test(arguments: documents, [true, false])
    func chunkedWriteIsTheWholeDocument(_ fixture: String, pretty: Bool) throws {
        let value = try JSONValue(parsing: try Fixtures.bytes(fixture))
        let whole = value.serializedBytes(pretty: pretty)
        // A small chunk: the bytes are handed on from inside the value, many times.
        let (bytes, pieces) = Self.collect { sink in value.write(pretty: pretty, chunk: 64, to: sink) }
        #expect(bytes == whole)
        #expect(pieces > whole.count / 4096)
    }

    @Test(arguments: documents, [true, false])
    func streamedMembersAndItemsAreTheWholeDocument(_ fixture: String, pretty: Bool) throws {
        let value = try JSONValue(parsing: try Fixtures.bytes(fixture))
        guard case .object(let members) = value else { Issue.record("\(fixture) is not an object"); return }
        let (bytes, _) = Self.collect { sink in
            var writer = JSONStreamWriter(pretty: pretty, chunk: 100, sink: sink)
            writer.beginObject()
            for (key, member) in members {
                // Arrays item by item (an empty one too), objects member by member, the rest whole.
                switch member {
                case .array(let items):
                    writer.beginArray(key: key)
                    for item in items { writer.value(item) }
                    writer.end()
                case .object(let inner):
                    writer.beginObject(key: key)
                    for (k, v) in inner { writer.value(v, key: k) }
                    writer.end()
                default:
                    writer.value(member, key: key)
                }
            }
            writer.beginArray(key: "empty")
            writer.end()
            writer.finish()
        }
        let expected = JSONValue.object(members + [("empty", .array([]))]).serializedBytes(pretty: pretty)
        #expect(bytes == expected)
    }
}
