/// A value decoded from the wire with the schema.
public indirect enum DecodedValue: Hashable, Sendable {
    /// `uint32`, `uint64`, `fixed32`, `fixed64`.
    case unsigned(UInt64)
    /// `int32`, `int64`, `sint32`, `sint64`, `sfixed32`, `sfixed64`.
    case signed(Int64)
    /// A `bool`.
    case bool(Bool)
    /// An enum value with its name, or nil when the schema does not know the number.
    case enumeration(Int32, name: String?)
    /// A `string` field's raw bytes (CRIU strings are Linux bytes, not always UTF-8).
    case string([UInt8])
    /// A `bytes` field's contents.
    case bytes([UInt8])
    /// A nested message.
    case message(DecodedMessage)
    /// A `float` or `double` (CRIU's schema has none; kept for completeness).
    case floatingPoint(Double)
}

/// A field present in a decoded message: all its values in wire order (one for a singular field).
public struct DecodedField: Hashable, Sendable {
    /// The schema's description of the field.
    public var descriptor: FieldDescriptor
    /// The values in wire order; one for a singular field (the last on the wire; a message field's occurrences merged).
    public var values: [DecodedValue]

    /// A field with its schema descriptor and values (one for a singular field).
    public init(descriptor: FieldDescriptor, values: [DecodedValue]) {
        self.descriptor = descriptor
        self.values = values
    }

    /// The field's name in the schema (`vaddr`).
    public var name: String { descriptor.name }
    /// The field number.
    public var number: Int { descriptor.number }
}

/// A field number the schema does not declare, kept as it arrived so that it can be written back.
public struct UnknownField: Hashable, Sendable {
    /// The field number.
    public var number: Int
    /// The wire type the field arrived with.
    public var wireType: WireType
    /// Absolute offset of the field key.
    public var offset: Int
    /// The whole field as it arrived: key, then value (a length-delimited value with its length prefix).
    public var bytes: [UInt8]

    /// An unknown field from its wire bytes (key included); `offset` is where the key was read.
    public init(number: Int, wireType: WireType, offset: Int, bytes: [UInt8]) {
        self.number = number
        self.wireType = wireType
        self.offset = offset
        self.bytes = bytes
    }
}

/// A message decoded generically: the present fields in field-number order.
public struct DecodedMessage: Hashable, Sendable {
    /// The message type name (`vma_entry`).
    public var type: String
    /// Present fields, ordered by field number.
    public var fields: [DecodedField]
    /// Fields the schema does not know, in wire order.
    public var unknownFields: [UnknownField]

    /// A message of `type` with its present fields (in field-number order) and unknown fields.
    public init(type: String, fields: [DecodedField], unknownFields: [UnknownField] = []) {
        self.type = type
        self.fields = fields
        self.unknownFields = unknownFields
    }

    /// The field with this name, if present.
    public subscript(name: String) -> DecodedField? {
        fields.first { $0.name == name }
    }

    /// The field with this number, if present.
    public func field(_ number: Int) -> DecodedField? {
        fields.first { $0.number == number }
    }

    /// Names of required fields that are absent (CRIU always writes them; protobuf-c rejects their absence).
    public func missingRequiredFields(schema: Schema = .criu) -> [String] {
        guard let descriptor = schema.message(type) else { return [] }
        return descriptor.fields.filter { f in f.label == .required && !fields.contains { $0.number == f.number } }.map(\.name)
    }
}

/// Decodes any message of the schema from the wire into a ``DecodedMessage``.
public struct GenericDecoder: Sendable {
    /// Messages nested deeper than this are rejected (`nestingTooDeep`).
    public static let maximumDepth = 64

    /// The schema messages are decoded with.
    public let schema: Schema

    /// A decoder over `schema` (by default the embedded ``Schema/criu``).
    public init(schema: Schema = .criu) {
        self.schema = schema
    }

    /// Decodes `bytes` as the message `type`.
    public func decode(_ type: String, from bytes: [UInt8]) throws(ImageError) -> DecodedMessage {
        try withBytes(bytes) { (buffer) throws(ImageError) in
            var reader = WireReader(buffer)
            return try decode(type, from: &reader)
        }
    }

    /// Decodes one entry of a framed image. `buffer` holds the whole file the entry was framed from.
    public func decode(_ entry: ImageEntry, in buffer: UnsafeRawBufferPointer) throws(ImageError) -> DecodedMessage {
        var reader = WireReader(buffer, range: entry.range)
        do {
            return try decode(entry.message, from: &reader)
        } catch {
            throw error.located(entry: entry.index)
        }
    }

    /// Decodes the rest of `reader` as the message `type`.
    public func decode(_ type: String, from reader: inout WireReader) throws(ImageError) -> DecodedMessage {
        guard let descriptor = schema.message(type) else {
            throw ImageError(.unknownMessage, offset: reader.offset, detail: type)
        }
        return try decode(descriptor, from: &reader, depth: 0)
    }

    private func decode(_ descriptor: MessageDescriptor, from reader: inout WireReader, depth: Int) throws(ImageError) -> DecodedMessage {
        guard depth < Self.maximumDepth else {
            throw ImageError(.nestingTooDeep, offset: reader.offset, detail: "more than \(Self.maximumDepth) levels of nested messages")
        }
        var slots: [[DecodedValue]?] = Array(repeating: nil, count: descriptor.fields.count)
        var unknown: [UnknownField] = []
        while true {
            let start = reader.position
            guard let key = try reader.nextKey() else { break }
            guard let index = descriptor.indexByNumber[key.number] else {
                try reader.skip(key.wireType)
                let bytes = Array(UnsafeRawBufferPointer(rebasing: reader.buffer[start..<reader.position]))
                unknown.append(UnknownField(number: key.number, wireType: key.wireType, offset: key.offset, bytes: bytes))
                continue
            }
            let field = descriptor.fields[index]
            if field.isRepeated && field.type.isPackable && key.wireType == .lengthDelimited {
                var packed = try reader.readSubmessage()
                if slots[index] == nil { slots[index] = [] }
                while !packed.isAtEnd {
                    slots[index]!.append(try scalar(field, wireType: field.type.wireType, from: &packed, keyOffset: key.offset))
                }
                continue
            }
            guard key.wireType == field.type.wireType else {
                throw ImageError(.wrongWireType, offset: key.offset,
                                 detail: "\(descriptor.name).\(field.name) is \(field.type), found wire type \(key.wireType.rawValue)")
            }
            let value: DecodedValue
            if field.type == .message {
                var sub = try reader.readSubmessage()
                guard let typeName = field.typeName, let subDescriptor = schema.message(typeName) else {
                    throw ImageError(.unknownMessage, offset: key.offset, detail: field.typeName ?? "?")
                }
                value = .message(try decode(subDescriptor, from: &sub, depth: depth + 1))
            } else {
                value = try scalar(field, wireType: key.wireType, from: &reader, keyOffset: key.offset)
            }
            if field.isRepeated {
                if slots[index] == nil { slots[index] = [] }
                slots[index]!.append(value)
            } else if case .message(let new) = value, let old = slots[index]?.first, case .message(let previous) = old {
                slots[index] = [.message(Self.merge(previous, new))]
            } else {
                slots[index] = [value]
            }
        }
        var fields: [DecodedField] = []
        for (index, values) in slots.enumerated() {
            guard let values else { continue }
            fields.append(DecodedField(descriptor: descriptor.fields[index], values: values))
        }
        return DecodedMessage(type: descriptor.name, fields: fields, unknownFields: unknown)
    }

    /// Protobuf merge semantics for a singular message field that occurs twice.
    static func merge(_ a: DecodedMessage, _ b: DecodedMessage) -> DecodedMessage {
        var result = a
        for field in b.fields {
            if let i = result.fields.firstIndex(where: { $0.number == field.number }) {
                if field.descriptor.isRepeated {
                    result.fields[i].values += field.values
                } else if case .message(let x) = result.fields[i].values[0], case .message(let y) = field.values[0] {
                    result.fields[i].values = [.message(merge(x, y))]
                } else {
                    result.fields[i].values = field.values
                }
            } else {
                result.fields.append(field)
            }
        }
        result.fields.sort { $0.number < $1.number }
        result.unknownFields += b.unknownFields
        return result
    }

    private func scalar(_ field: FieldDescriptor, wireType: WireType, from reader: inout WireReader, keyOffset: Int) throws(ImageError) -> DecodedValue {
        switch field.type {
        case .uint64: return .unsigned(try reader.readVarint())
        case .uint32: return .unsigned(UInt64(UInt32(truncatingIfNeeded: try reader.readVarint())))
        case .int64: return .signed(Int64(bitPattern: try reader.readVarint()))
        case .int32: return .signed(Int64(Int32(truncatingIfNeeded: try reader.readVarint())))
        case .sint64: return .signed(try reader.readVarint().zigZagDecoded)
        // Like protobuf (and libprotobuf-c): keep the low 32 bits, then undo the zig-zag.
        case .sint32: return .signed(UInt64(UInt32(truncatingIfNeeded: try reader.readVarint())).zigZagDecoded)
        case .bool: return .bool(try reader.readVarint() != 0)
        case .fixed32: return .unsigned(UInt64(try reader.readFixed32()))
        case .fixed64: return .unsigned(try reader.readFixed64())
        case .sfixed32: return .signed(Int64(Int32(bitPattern: try reader.readFixed32())))
        case .sfixed64: return .signed(Int64(bitPattern: try reader.readFixed64()))
        case .float: return .floatingPoint(Double(Float(bitPattern: try reader.readFixed32())))
        case .double: return .floatingPoint(Double(bitPattern: try reader.readFixed64()))
        case .enumeration:
            let number = Int32(truncatingIfNeeded: try reader.readVarint())
            let name = field.typeName.flatMap { schema.enums[$0]?.name(of: number) }
            return .enumeration(number, name: name)
        case .string: return .string(try reader.readBytes())
        case .bytes: return .bytes(try reader.readBytes())
        case .message, .group:
            throw ImageError(.wrongWireType, offset: keyOffset, detail: "\(field.name) cannot be packed")
        }
    }
}
