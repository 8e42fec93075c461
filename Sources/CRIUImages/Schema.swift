/// The scalar and composite types a message field can have (protobuf's `FieldDescriptorProto.Type`).
public enum FieldType: Int, Hashable, Sendable {
    /// Floating-point, varint and fixed-width scalars, numbered as in `descriptor.proto`.
    case double = 1, float = 2, int64 = 3, uint64 = 4, int32 = 5, fixed64 = 6, fixed32 = 7, bool = 8
    /// Strings, groups, messages, bytes, `uint32` and enums (`TYPE_ENUM`), numbered as in `descriptor.proto`.
    case string = 9, group = 10, message = 11, bytes = 12, uint32 = 13, enumeration = 14
    /// Signed fixed-width and zig-zag (`sint`) scalars, numbered as in `descriptor.proto`.
    case sfixed32 = 15, sfixed64 = 16, sint32 = 17, sint64 = 18

    /// The wire type this field type is encoded with (when not packed).
    public var wireType: WireType {
        switch self {
        case .double, .fixed64, .sfixed64: .fixed64
        case .float, .fixed32, .sfixed32: .fixed32
        case .string, .bytes, .message, .group: .lengthDelimited
        default: .varint
        }
    }

    /// True for types that may be packed when repeated.
    public var isPackable: Bool { wireType != .lengthDelimited }
}

/// `required`, `optional` or `repeated`.
public enum FieldLabel: Int, Hashable, Sendable {
    /// The labels, numbered as in `descriptor.proto`.
    case optional = 1, required = 2, repeated = 3
}

/// How crit renders a field in `--pretty` mode (our `ckpt_options.proto`, CRIU-FORMAT.md 7.5).
public struct RenderOptions: Hashable, Sendable {
    /// Print integers as `0x...`; on a message field, every integer inside it.
    public var hex = false
    /// The flag table that names the bits (`mmap.prot`, `rfile.flags`...).
    public var flags: String?
    /// Print as a device number `major:minor`.
    public var dev = false
    /// With `dev`: the glibc (`st_rdev`) encoding instead of the kernel one.
    public var odev = false
    /// The number-to-name table (`gen`, `sk`).
    public var dict: String?
    /// Print repeated u32 words as an IP address.
    public var ipadd = false
    /// A byte conversion (`unix_name`: quoted-printable).
    public var conv: String?

    /// Options that render every value plainly.
    public init() {}
}

/// One field of a message in the schema.
public struct FieldDescriptor: Hashable, Sendable {
    /// The field's name (`vaddr`).
    public var name: String
    /// The field number.
    public var number: Int
    /// Whether the field is optional, required or repeated.
    public var label: FieldLabel
    /// The declared type.
    public var type: FieldType
    /// Fully qualified name of the message or enum type, without the leading dot (`vma_entry`, `core_entry.march`).
    public var typeName: String?
    /// The proto2 default, as text, when the schema declares one.
    public var defaultValue: String?
    /// How crit renders the field in `--pretty` mode.
    public var options: RenderOptions
    /// `[packed = true]`: a repeated scalar written as one length-delimited run (none in CRIU's schema).
    public var isPacked = false

    /// True for a repeated field.
    public var isRepeated: Bool { label == .repeated }
}

/// A message type of the schema, with its fields in field-number order.
public struct MessageDescriptor: Hashable, Sendable {
    /// The fully qualified message name (`vma_entry`; nested messages as `outer.inner`).
    public var name: String
    /// The fields, ordered by field number.
    public var fields: [FieldDescriptor]
    var indexByNumber: [Int: Int]

    /// The field with the given number, if the schema declares one.
    public func field(_ number: Int) -> FieldDescriptor? {
        indexByNumber[number].map { fields[$0] }
    }

    /// The field with the given name.
    public func field(named name: String) -> FieldDescriptor? {
        fields.first { $0.name == name }
    }
}

/// An enum type of the schema.
public struct EnumDescriptor: Hashable, Sendable {
    /// The fully qualified enum name (`core_entry.march`).
    public var name: String
    /// Every value with its number, ascending by number (for a number with several names, the first declared).
    public var values: [(name: String, number: Int32)] {
        get { names.map { ($0.value, $0.key) }.sorted { $0.1 < $1.1 } }
    }
    var names: [Int32: String]

    /// The name of a value, or nil when the schema does not know it.
    public func name(of number: Int32) -> String? { names[number] }
}

/// ckpt-inspect's schema of CRIU's image messages: compiled from `Schema/*.proto` and embedded.
public struct Schema: Sendable {
    /// Every message type, by fully qualified name.
    public private(set) var messages: [String: MessageDescriptor] = [:]
    /// Every enum type, by fully qualified name.
    public private(set) var enums: [String: EnumDescriptor] = [:]

    /// The schema embedded in this library.
    public static let criu: Schema = {
        guard let bytes = Base64.decode(schemaDescriptorSetBase64) else {
            preconditionFailure("embedded descriptor set is not base64")
        }
        do {
            return try Schema(descriptorSet: bytes)
        } catch {
            preconditionFailure("embedded descriptor set does not parse: \(error)")
        }
    }()

    /// Reads a serialized `google.protobuf.FileDescriptorSet`.
    public init(descriptorSet bytes: [UInt8]) throws(ImageError) {
        try withBytes(bytes) { (buffer) throws(ImageError) in
            var reader = WireReader(buffer)
            while let key = try reader.nextKey() {
                if key.number == 1 && key.wireType == .lengthDelimited {
                    var file = try reader.readSubmessage()
                    try readFile(&file)
                } else {
                    try reader.skip(key.wireType)
                }
            }
        }
    }

    /// The message descriptor with this name.
    public func message(_ name: String) -> MessageDescriptor? { messages[name] }

    private mutating func readFile(_ reader: inout WireReader) throws(ImageError) {
        var package = ""
        var messageRanges: [WireReader] = []
        var enumRanges: [WireReader] = []
        while let key = try reader.nextKey() {
            switch (key.number, key.wireType) {
            case (2, .lengthDelimited): package = try reader.readString()
            case (4, .lengthDelimited): messageRanges.append(try reader.readSubmessage())
            case (5, .lengthDelimited): enumRanges.append(try reader.readSubmessage())
            default: try reader.skip(key.wireType)
            }
        }
        let prefix = package.isEmpty ? "" : package + "."
        for var m in messageRanges { try readMessage(&m, prefix: prefix) }
        for var e in enumRanges { try readEnum(&e, prefix: prefix) }
    }

    private mutating func readMessage(_ reader: inout WireReader, prefix: String) throws(ImageError) {
        var name = ""
        var fields: [FieldDescriptor] = []
        var nested: [WireReader] = []
        var nestedEnums: [WireReader] = []
        while let key = try reader.nextKey() {
            switch (key.number, key.wireType) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited):
                var f = try reader.readSubmessage()
                fields.append(try Self.readField(&f))
            case (3, .lengthDelimited): nested.append(try reader.readSubmessage())
            case (4, .lengthDelimited): nestedEnums.append(try reader.readSubmessage())
            default: try reader.skip(key.wireType)
            }
        }
        let full = prefix + name
        fields.sort { $0.number < $1.number }
        var index: [Int: Int] = [:]
        for (i, f) in fields.enumerated() { index[f.number] = i }
        messages[full] = MessageDescriptor(name: full, fields: fields, indexByNumber: index)
        for var m in nested { try readMessage(&m, prefix: full + ".") }
        for var e in nestedEnums { try readEnum(&e, prefix: full + ".") }
    }

    private mutating func readEnum(_ reader: inout WireReader, prefix: String) throws(ImageError) {
        var name = ""
        var names: [Int32: String] = [:]
        while let key = try reader.nextKey() {
            switch (key.number, key.wireType) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited):
                var v = try reader.readSubmessage()
                var valueName = ""
                var number: Int32 = 0
                while let k = try v.nextKey() {
                    switch (k.number, k.wireType) {
                    case (1, .lengthDelimited): valueName = try v.readString()
                    case (2, .varint): number = Int32(truncatingIfNeeded: try v.readVarint())
                    default: try v.skip(k.wireType)
                    }
                }
                if names[number] == nil { names[number] = valueName }
            default: try reader.skip(key.wireType)
            }
        }
        enums[prefix + name] = EnumDescriptor(name: prefix + name, names: names)
    }

    private static func readField(_ reader: inout WireReader) throws(ImageError) -> FieldDescriptor {
        var name = ""
        var number = 0
        var label = FieldLabel.optional
        var type = FieldType.int32
        var typeName: String?
        var defaultValue: String?
        var options = RenderOptions()
        var packed = false
        while let key = try reader.nextKey() {
            switch (key.number, key.wireType) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (3, .varint): number = Int(truncatingIfNeeded: try reader.readVarint())
            case (4, .varint): label = FieldLabel(rawValue: Int(try reader.readVarint())) ?? .optional
            case (5, .varint):
                let raw = try reader.readVarint()
                guard let t = FieldType(rawValue: Int(truncatingIfNeeded: raw)) else {
                    throw ImageError(.invalidSchema, offset: key.offset, detail: "field type \(raw)")
                }
                type = t
            case (6, .lengthDelimited):
                var t = try reader.readString()
                if t.hasPrefix(".") { t.removeFirst() }
                typeName = t
            case (7, .lengthDelimited): defaultValue = try reader.readString()
            case (8, .lengthDelimited):
                var o = try reader.readSubmessage()
                while let k = try o.nextKey() {
                    if k.number == 50555 && k.wireType == .lengthDelimited {
                        var c = try o.readSubmessage()
                        while let ck = try c.nextKey() {
                            switch (ck.number, ck.wireType) {
                            case (1, .varint): options.hex = try c.readVarint() != 0
                            case (2, .lengthDelimited): options.flags = try c.readString()
                            case (3, .varint): options.dev = try c.readVarint() != 0
                            case (4, .varint): options.odev = try c.readVarint() != 0
                            case (5, .lengthDelimited): options.dict = try c.readString()
                            case (6, .varint): options.ipadd = try c.readVarint() != 0
                            case (7, .lengthDelimited): options.conv = try c.readString()
                            default: try c.skip(ck.wireType)
                            }
                        }
                    } else if k.number == 2 && k.wireType == .varint {
                        packed = try o.readVarint() != 0
                    } else {
                        try o.skip(k.wireType)
                    }
                }
            default: try reader.skip(key.wireType)
            }
        }
        return FieldDescriptor(name: name, number: number, label: label, type: type, typeName: typeName, defaultValue: defaultValue,
                               options: options, isPacked: packed)
    }
}
