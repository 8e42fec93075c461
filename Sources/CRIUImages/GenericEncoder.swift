/// Encodes a ``DecodedMessage`` to protobuf wire bytes: the inverse of ``GenericDecoder``.
///
/// The bytes are what protobuf-c (the runtime CRIU dumps with) writes for the same values: fields
/// in field-number order, repeated scalars unpacked (packed only for `[packed = true]` fields), minimal
/// varints, negative `int32`, `int64` and enum values in ten bytes. Unknown fields are written back
/// as they arrived, each before the first known field with a higher number (where a writer that
/// knew them would have put them), keeping their own order.
///
/// Decoding is many-to-one, so `encode(decode(b))` is `b` exactly when `b` is in that canonical form,
/// as every image CRIU writes is. What decoding does not keep, and encoding therefore normalises: the
/// order of fields that arrive out of number order, non-minimal varints and length prefixes, the high
/// bits of a 32-bit field sent as a longer varint, packed runs of a repeated field, and the earlier
/// occurrences of a singular field (the last wins; message occurrences are merged).
public struct GenericEncoder: Sendable {
    /// The schema messages are checked against.
    public let schema: Schema

    /// An encoder over `schema` (by default the embedded ``Schema/criu``).
    public init(schema: Schema = .criu) {
        self.schema = schema
    }

    /// The wire bytes of `message`.
    ///
    /// Throws ``ImageError/Code/invalidValue`` (with the ``ImageError/path`` of the value) when a
    /// value does not fit its field: a value of another type, a 32-bit field out of range, several
    /// values for a singular field; ``ImageError/Code/unknownMessage`` for a type the schema lacks.
    public func encode(_ message: DecodedMessage) throws(ImageError) -> [UInt8] {
        var writer = WireWriter()
        try encode(message, into: &writer, path: "", depth: 0)
        return writer.bytes
    }

    func encode(_ message: DecodedMessage, into writer: inout WireWriter, path: String, depth: Int) throws(ImageError) {
        guard depth < GenericDecoder.maximumDepth else {
            throw ImageError(.nestingTooDeep, path: path, detail: "more than \(GenericDecoder.maximumDepth) levels of nested messages")
        }
        guard let descriptor = schema.message(message.type) else {
            throw ImageError(.unknownMessage, path: path, detail: message.type)
        }
        let fields = message.fields.sorted { $0.number < $1.number }
        var unknown = message.unknownFields[...]
        for field in fields {
            let fieldPath = path.isEmpty ? field.name : path + "." + field.name
            guard let declared = descriptor.field(field.number), declared.type == field.descriptor.type, declared.label == field.descriptor.label else {
                throw ImageError(.invalidValue, path: fieldPath, detail: "\(message.type) has no field \(field.number) \(field.descriptor.type)")
            }
            while let u = unknown.first, u.number < field.number {
                writer.writeRaw(u.bytes)
                unknown.removeFirst()
            }
            try encode(field, declared, into: &writer, path: fieldPath, depth: depth)
        }
        for u in unknown { writer.writeRaw(u.bytes) }
    }

    private func encode(_ field: DecodedField, _ descriptor: FieldDescriptor, into writer: inout WireWriter, path: String, depth: Int) throws(ImageError) {
        if !descriptor.isRepeated {
            guard field.values.count == 1 else {
                throw ImageError(.invalidValue, path: path, detail: "a singular field holds one value, found \(field.values.count)")
            }
        } else if descriptor.type.isPackable && (descriptor.isPacked || field.values.isEmpty) {
            // An empty repeated field is written as an empty packed run, the only encoding that
            // decodes back to a present, empty field.
            var run = WireWriter()
            for (i, value) in field.values.enumerated() {
                try scalar(value, descriptor, into: &run, path: "\(path)[\(i)]")
            }
            writer.write(descriptor.number, bytes: run.bytes)
            return
        }
        for (i, value) in field.values.enumerated() {
            let valuePath = descriptor.isRepeated ? "\(path)[\(i)]" : path
            switch (descriptor.type, value) {
            case (.message, .message(let sub)):
                guard sub.type == descriptor.typeName else {
                    throw ImageError(.invalidValue, path: valuePath, detail: "expects a \(descriptor.typeName ?? "?") message, found \(sub.type)")
                }
                var nested = WireWriter()
                try encode(sub, into: &nested, path: valuePath, depth: depth + 1)
                writer.write(descriptor.number, bytes: nested.bytes)
            case (.string, .string(let bytes)), (.bytes, .bytes(let bytes)):
                writer.write(descriptor.number, bytes: bytes)
            default:
                writer.writeKey(descriptor.number, descriptor.type.wireType)
                try scalar(value, descriptor, into: &writer, path: valuePath)
            }
        }
    }

    /// Writes the value of a scalar (no key).
    private func scalar(_ value: DecodedValue, _ field: FieldDescriptor, into writer: inout WireWriter, path: String) throws(ImageError) {
        func range(_ what: String) -> ImageError {
            ImageError(.invalidValue, path: path, detail: "\(value.text) does not fit \(what)")
        }
        switch (field.type, value) {
        case (.uint64, .unsigned(let v)): writer.writeVarint(v)
        case (.uint32, .unsigned(let v)):
            guard v <= UInt64(UInt32.max) else { throw range("uint32") }
            writer.writeVarint(v)
        case (.int64, .signed(let v)): writer.writeVarint(UInt64(bitPattern: v))
        case (.int32, .signed(let v)):
            guard let v32 = Int32(exactly: v) else { throw range("int32") }
            writer.writeVarint(UInt64(bitPattern: Int64(v32)))
        case (.sint64, .signed(let v)): writer.writeVarint(v.zigZagEncoded)
        case (.sint32, .signed(let v)):
            guard let v32 = Int32(exactly: v) else { throw range("sint32") }
            writer.writeVarint(UInt64(UInt32(bitPattern: (v32 << 1) ^ (v32 >> 31))))
        case (.bool, .bool(let b)): writer.writeVarint(b ? 1 : 0)
        case (.enumeration, .enumeration(let n, _)): writer.writeVarint(UInt64(bitPattern: Int64(n)))
        case (.fixed64, .unsigned(let v)): writer.writeFixed64(v)
        case (.fixed32, .unsigned(let v)):
            guard let v32 = UInt32(exactly: v) else { throw range("fixed32") }
            writer.writeFixed32(v32)
        case (.sfixed64, .signed(let v)): writer.writeFixed64(UInt64(bitPattern: v))
        case (.sfixed32, .signed(let v)):
            guard let v32 = Int32(exactly: v) else { throw range("sfixed32") }
            writer.writeFixed32(UInt32(bitPattern: v32))
        case (.double, .floatingPoint(let d)): writer.writeFixed64(d.bitPattern)
        case (.float, .floatingPoint(let d)): writer.writeFixed32(Float(d).bitPattern)
        default:
            throw ImageError(.invalidValue, path: path, detail: "a \(field.type) field cannot hold \(value.text)")
        }
    }
}

extension DecodedValue {
    /// A short description for error messages.
    var text: String {
        switch self {
        case .unsigned(let v): "\(v)"
        case .signed(let v): "\(v)"
        case .bool(let b): "\(b)"
        case .enumeration(let n, let name): name ?? "\(n)"
        case .string(let b): "a string of \(b.count) bytes"
        case .bytes(let b): "\(b.count) bytes"
        case .message(let m): "a \(m.type) message"
        case .floatingPoint(let d): "\(d)"
        }
    }
}
