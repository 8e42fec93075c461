import CProtobufCOracle
import CRIUImages

/// A value as libprotobuf-c holds it after `protobuf_c_message_unpack`.
indirect enum PCValue: Hashable {
    case unsigned(UInt64)
    case signed(Int64)
    case bool(Bool)
    case enumeration(Int32)
    /// A `char *`: protobuf-c strings are NUL-terminated, so the bytes stop at the first NUL.
    case string([UInt8]?)
    case bytes([UInt8])
    case message(PCMessage?)
    case floatingPoint(Double)
}

/// One field of an unpacked protobuf-c message, read through its `ProtobufCFieldDescriptor`.
struct PCField: Hashable {
    var number: Int
    var name: String
    var label: FieldLabel
    var type: FieldType
    /// The sub-message or enum type name, from the field's `descriptor`.
    var typeName: String?
    /// True when the descriptor declares a `default_value`.
    var hasDefault: Bool
    /// Whether protobuf-c records the field as set: the `has_` flag of optional scalars and bytes,
    /// non-NULL (and not the default) for strings and messages, `n_` > 0 for repeated fields.
    /// Required fields have no flag: always true.
    var present: Bool
    /// The member's value for singular fields (the default when absent), every element for repeated ones.
    var values: [PCValue]
}

/// An unpacked protobuf-c message, walked generically through its `ProtobufCMessageDescriptor`.
struct PCMessage: Hashable {
    var type: String
    var fields: [PCField]
    /// `unknown_fields`: (field number, wire type) in wire order.
    var unknown: [UnknownKey]

    struct UnknownKey: Hashable {
        var number: Int
        var wireType: Int
    }

    func field(_ number: Int) -> PCField? { fields.first { $0.number == number } }
}

/// protobuf-c's verdict on some bytes.
enum PCOutcome {
    case accepted(PCMessage)
    case rejected
    case unknownMessage
}

enum ProtobufC {
    /// Unpacks `bytes` as `message` with libprotobuf-c and walks the result.
    static func unpack(_ message: String, _ bytes: [UInt8]) -> PCOutcome {
        var out: UnsafePointer<ProtobufCMessage>?
        let rc = bytes.withUnsafeBufferPointer { buffer in
            oracle_unpack(message, buffer.baseAddress, buffer.count, &out)
        }
        switch rc {
        case Int32(ORACLE_ACCEPTED):
            guard let out else { return .rejected }
            defer { oracle_free(out) }
            return .accepted(walk(out))
        case Int32(ORACLE_REJECTED):
            return .rejected
        default:
            return .unknownMessage
        }
    }

    /// The generated descriptor for a schema message name.
    static func descriptor(_ message: String) -> UnsafePointer<ProtobufCMessageDescriptor>? {
        oracle_descriptor(message)
    }

    /// Every generated message descriptor's name.
    static var messageNames: [String] {
        (0..<oracle_message_count()).compactMap { oracle_message_at($0).map { String(cString: $0.pointee.name) } }
    }

    static func label(_ l: ProtobufCLabel) -> FieldLabel {
        switch l {
        case PROTOBUF_C_LABEL_REQUIRED: .required
        case PROTOBUF_C_LABEL_REPEATED: .repeated
        default: .optional
        }
    }

    static func type(_ t: ProtobufCType) -> FieldType {
        switch t {
        case PROTOBUF_C_TYPE_INT32: .int32
        case PROTOBUF_C_TYPE_SINT32: .sint32
        case PROTOBUF_C_TYPE_SFIXED32: .sfixed32
        case PROTOBUF_C_TYPE_INT64: .int64
        case PROTOBUF_C_TYPE_SINT64: .sint64
        case PROTOBUF_C_TYPE_SFIXED64: .sfixed64
        case PROTOBUF_C_TYPE_UINT32: .uint32
        case PROTOBUF_C_TYPE_FIXED32: .fixed32
        case PROTOBUF_C_TYPE_UINT64: .uint64
        case PROTOBUF_C_TYPE_FIXED64: .fixed64
        case PROTOBUF_C_TYPE_FLOAT: .float
        case PROTOBUF_C_TYPE_DOUBLE: .double
        case PROTOBUF_C_TYPE_BOOL: .bool
        case PROTOBUF_C_TYPE_ENUM: .enumeration
        case PROTOBUF_C_TYPE_STRING: .string
        case PROTOBUF_C_TYPE_BYTES: .bytes
        default: .message
        }
    }

    /// `sizeof_elt_in_repeated_array`.
    static func elementSize(_ t: FieldType) -> Int {
        switch t {
        case .int32, .sint32, .sfixed32, .uint32, .fixed32, .float, .enumeration, .bool: 4
        case .int64, .sint64, .sfixed64, .uint64, .fixed64, .double: 8
        case .string, .message, .group: MemoryLayout<UnsafeRawPointer>.size
        case .bytes: MemoryLayout<ProtobufCBinaryData>.size
        }
    }

    /// The type name a field descriptor points to (message or enum descriptor), if any.
    static func typeName(_ f: ProtobufCFieldDescriptor, _ type: FieldType) -> String? {
        guard let d = f.descriptor else { return nil }
        switch type {
        case .message: return String(cString: d.assumingMemoryBound(to: ProtobufCMessageDescriptor.self).pointee.name)
        case .enumeration: return String(cString: d.assumingMemoryBound(to: ProtobufCEnumDescriptor.self).pointee.name)
        default: return nil
        }
    }

    static func walk(_ message: UnsafePointer<ProtobufCMessage>) -> PCMessage {
        let base = UnsafeRawPointer(message)
        let descriptor = message.pointee.descriptor.pointee
        var fields: [PCField] = []
        for i in 0..<Int(descriptor.n_fields) {
            let f = descriptor.fields[i]
            let type = type(f.type)
            let label = label(f.label)
            let member = base + Int(f.offset)
            var values: [PCValue] = []
            var present: Bool
            switch label {
            case .repeated:
                let count = (base + Int(f.quantifier_offset)).loadUnaligned(as: Int.self)
                present = count > 0
                if count > 0, let array = member.loadUnaligned(as: UnsafeRawPointer?.self) {
                    for j in 0..<count {
                        values.append(element(type, at: array + j * elementSize(type), field: f))
                    }
                }
            case .required:
                present = true
                values.append(element(type, at: member, field: f))
            case .optional:
                let value = element(type, at: member, field: f)
                values.append(value)
                switch type {
                case .string:
                    let pointer = member.loadUnaligned(as: UnsafeRawPointer?.self)
                    present = pointer != nil && pointer != f.default_value
                case .message:
                    present = member.loadUnaligned(as: UnsafeRawPointer?.self) != nil
                default:
                    // has_ flag (protobuf_c_boolean = int) at quantifier_offset.
                    present = (base + Int(f.quantifier_offset)).loadUnaligned(as: Int32.self) != 0
                }
            }
            fields.append(PCField(number: Int(f.id), name: String(cString: f.name), label: label, type: type,
                                  typeName: typeName(f, type), hasDefault: f.default_value != nil,
                                  present: present, values: values))
        }
        var unknown: [PCMessage.UnknownKey] = []
        for i in 0..<Int(message.pointee.n_unknown_fields) {
            let u = message.pointee.unknown_fields[i]
            unknown.append(.init(number: Int(u.tag), wireType: Int(u.wire_type.rawValue)))
        }
        return PCMessage(type: String(cString: descriptor.name), fields: fields.sorted { $0.number < $1.number }, unknown: unknown)
    }

    static func element(_ type: FieldType, at p: UnsafeRawPointer, field: ProtobufCFieldDescriptor) -> PCValue {
        switch type {
        case .int32, .sint32, .sfixed32: return .signed(Int64(p.loadUnaligned(as: Int32.self)))
        case .uint32, .fixed32: return .unsigned(UInt64(p.loadUnaligned(as: UInt32.self)))
        case .int64, .sint64, .sfixed64: return .signed(p.loadUnaligned(as: Int64.self))
        case .uint64, .fixed64: return .unsigned(p.loadUnaligned(as: UInt64.self))
        case .bool: return .bool(p.loadUnaligned(as: Int32.self) != 0)
        case .enumeration: return .enumeration(p.loadUnaligned(as: Int32.self))
        case .float: return .floatingPoint(Double(p.loadUnaligned(as: Float.self)))
        case .double: return .floatingPoint(p.loadUnaligned(as: Double.self))
        case .string:
            guard let s = p.loadUnaligned(as: UnsafePointer<CChar>?.self) else { return .string(nil) }
            let n = oracle_strlen(s)
            return .string(Array(UnsafeRawBufferPointer(start: s, count: n)))
        case .bytes:
            let bd = p.loadUnaligned(as: ProtobufCBinaryData.self)
            guard bd.len > 0, let data = bd.data else { return .bytes([]) }
            return .bytes(Array(UnsafeBufferPointer(start: data, count: bd.len)))
        case .message, .group:
            guard let m = p.loadUnaligned(as: UnsafePointer<ProtobufCMessage>?.self) else { return .message(nil) }
            return .message(walk(m))
        }
    }
}
