extension CritJSON {
    /// The key under which an entry object carries the fields the schema does not know: base64 of
    /// their wire bytes, in wire order. Not a possible field name; crit never writes it.
    public static let unknownFieldsKey = "#unknown"

    /// The image file that `json` describes: the inverse of ``render(_:fileName:)``.
    ///
    /// Reads what ``render(_:fileName:)`` writes in any of its option sets — plain numbers or crit's
    /// `--pretty` renderings (hex strings, flag names, `major:minor` devices, dict names, IP
    /// addresses), enums by name or number, bytes as base64, unix socket names quoted-printable,
    /// strings that are not UTF-8 as Python bytes literals — and so also the JSON crit itself writes.
    /// ``Options/critCompatible`` must be set as it was for rendering (for crit's own JSON: true):
    /// it decides what the task-state names and the irmap device mean. Object members may come in
    /// any order. JSON from `--no-payload` cannot be encoded (the payloads are gone).
    ///
    /// ```swift
    /// let json = try CritJSON().render(bytes, fileName: "pipes-data.img")
    /// let again = try CritJSON().encodeImage(json)   // == bytes
    /// ```
    /// Errors carry the image kind, the entry index and the ``ImageError/path`` of the value that
    /// does not fit its field.
    public func encodeImage(_ json: JSONValue) throws(ImageError) -> [UInt8] {
        try CritJSONReader(schema: schema, critCompatible: options.critCompatible).image(json)
    }

    /// The message `type` that an entry object (as ``render(_:hex:)`` writes it) describes.
    /// See ``encodeImage(_:)`` for the renderings it reads.
    public func message(_ type: String, from json: JSONValue) throws(ImageError) -> DecodedMessage {
        try CritJSONReader(schema: schema, critCompatible: options.critCompatible).message(type, json, path: "", depth: 0)
    }
}

/// The reading side of ``CritJSON``: crit's JSON back to messages and image files.
struct CritJSONReader {
    let schema: Schema
    let critCompatible: Bool

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    static func invalid(_ path: String, _ detail: String) -> ImageError { ImageError(.invalidValue, path: path, detail: detail) }

    func image(_ json: JSONValue) throws(ImageError) -> [UInt8] {
        guard case .object(let members) = json else {
            throw Self.invalid("", "an image is a JSON object with \"magic\" and \"entries\", found \(json.kindName)")
        }
        var magic: String?
        var entries: [JSONValue]?
        var order = ByteOrder.littleEndian
        var words: Int?
        for (key, value) in members {
            switch (key, value) {
            case ("magic", .string(let name)): magic = name
            case ("entries", .array(let items)): entries = items
            case ("byte_order", .string("big")): order = .bigEndian
            case ("byte_order", .string("little")): order = .littleEndian
            case ("magic_words", .number(let n)):
                guard let count = Int(n) else { throw Self.invalid(key, "\(n) is not a word count") }
                words = count
            case ("raw", _), ("size", _):
                throw ImageError(.rawImage, path: key, detail: "the JSON of a RAW image holds only its size, not its contents")
            case ("magic", _), ("entries", _), ("byte_order", _), ("magic_words", _):
                throw Self.invalid(key, "unexpected \(value.kindName)")
            default:
                throw ImageError(.unknownField, path: key, detail: "an image object holds \"magic\" and \"entries\"")
            }
        }
        guard let magic else { throw Self.invalid("magic", "missing") }
        guard let kind = ImageKind.named(magic) else { throw ImageError(.unknownMagic, path: "magic", detail: "no image is called \(magic)") }
        if kind.isRaw { throw ImageError(.rawImage, path: "magic", detail: "\(kind.name) images hold raw data, not protobuf entries") }
        guard let entries else { throw Self.invalid("entries", "missing") }
        var writer = try ImageWriter(kind: kind, byteOrder: order, magicWords: words, schema: schema)
        for (index, entry) in entries.enumerated() {
            do throws(ImageError) {
                guard let type = writer.nextMessageType else {
                    try writer.append([])  // throws the writer's entry-count error
                    continue
                }
                guard case .object(var members) = entry else { throw Self.invalid("", "an entry is a JSON object, found \(entry.kindName)") }
                var extra: JSONValue?
                if let i = members.firstIndex(where: { $0.0 == "extra" }) {
                    extra = members.remove(at: i).1
                }
                let message = try self.message(type, .object(members), path: "", depth: 0)
                let payload = try extra.map { (value) throws(ImageError) in try self.payload(value, kind: kind, type: type) }
                try writer.append(message, payload: payload, encoder: GenericEncoder(schema: schema))
            } catch {
                throw error.located(image: kind.name, entry: index)
            }
        }
        return writer.bytes
    }

    /// The payload an entry's `"extra"` describes.
    func payload(_ json: JSONValue, kind: ImageKind, type: String) throws(ImageError) -> ImageWriter.Payload {
        if case .string(let s) = json, s.hasPrefix("... <"), s.hasSuffix(">") {
            throw ImageError(.invalidPayload, path: "extra", detail: "the payload was replaced by its size (decode --no-payload): the image cannot be rebuilt")
        }
        if kind.layout == .ghostFile {
            return .bytes(try base64(json, path: "extra"))
        }
        switch kind.payload {
        case nil:
            throw ImageError(.invalidPayload, path: "extra", detail: "\(kind.name) entries have no extra payload")
        case .pipeData?, .socketQueue?, .bpfMap?, .sharedMemory?:
            return .bytes(try base64(json, path: "extra"))
        case .tcpStream?:
            guard case .object(let members) = json else { throw Self.invalid("extra", "a TCP stream's payload is {\"inq\": ..., \"outq\": ...}") }
            var inq: [UInt8]?, outq: [UInt8]?
            for (key, value) in members {
                switch key {
                case "inq" where inq == nil: inq = try base64(value, path: "extra.inq")
                case "outq" where outq == nil: outq = try base64(value, path: "extra.outq")
                default: throw ImageError(.unknownField, path: "extra." + key, detail: "a TCP stream's payload holds inq and outq")
                }
            }
            return .tcpQueues(inq: inq ?? [], outq: outq ?? [])
        case .semaphores?:
            guard case .array(let items) = json else { throw Self.invalid("extra", "semaphore values are an array of numbers") }
            var values: [UInt16] = []
            for (i, item) in items.enumerated() {
                guard case .number(let n) = item, let v = UInt16(n) else { throw Self.invalid("extra[\(i)]", "a semaphore value is a number from 0 to 65535") }
                values.append(v)
            }
            return .semaphores(values)
        case .messageQueue?:
            guard case .array(let items) = json, items.count % 2 == 0 else {
                throw Self.invalid("extra", "queued messages are an array alternating ipc_msg objects and base64 data")
            }
            var records: [ImageWriter.Payload.QueuedMessage] = []
            let encoder = GenericEncoder(schema: schema)
            for i in stride(from: 0, to: items.count, by: 2) {
                let header = try message("ipc_msg", items[i], path: "extra[\(i)]", depth: 0)
                records.append(.init(header: try encoder.encode(header), data: try base64(items[i + 1], path: "extra[\(i + 1)]")))
            }
            return .messages(records)
        }
    }

    func base64(_ json: JSONValue, path: String) throws(ImageError) -> [UInt8] {
        guard case .string(let text) = json, let bytes = Base64.decode(text) else {
            throw Self.invalid(path, "expects base64 text, found \(json.kindName)")
        }
        return bytes
    }

    func message(_ type: String, _ json: JSONValue, path: String, depth: Int) throws(ImageError) -> DecodedMessage {
        guard depth < GenericDecoder.maximumDepth else {
            throw ImageError(.nestingTooDeep, path: path, detail: "more than \(GenericDecoder.maximumDepth) levels of nested messages")
        }
        guard let descriptor = schema.message(type) else { throw ImageError(.unknownMessage, path: path, detail: type) }
        guard case .object(let members) = json else { throw Self.invalid(path, "expects a \(type) object, found \(json.kindName)") }
        var fields: [DecodedField] = []
        var unknown: [UnknownField] = []
        var seen = Set<String>()
        for (key, value) in members {
            let fieldPath = Self.join(path, key)
            guard seen.insert(key).inserted else { throw Self.invalid(fieldPath, "given twice") }
            if key == CritJSON.unknownFieldsKey {
                unknown = try unknownFields(value, descriptor, path: fieldPath)
                continue
            }
            guard let field = descriptor.field(named: key) else {
                throw ImageError(.unknownField, path: fieldPath, detail: "\(type) has no field \(key)")
            }
            var values: [DecodedValue] = []
            if field.isRepeated {
                guard case .array(let items) = value else { throw Self.invalid(fieldPath, "a repeated field is a JSON array, found \(value.kindName)") }
                if field.options.ipadd, items.count == 1, case .string(let text) = items[0] {
                    guard let words = IPAddress.words(text) else { throw Self.invalid(fieldPath + "[0]", "\"\(text)\" is not an IPv4 or IPv6 address") }
                    values = words.map { .unsigned(UInt64($0)) }
                } else {
                    for (i, item) in items.enumerated() {
                        values.append(try self.value(item, field, in: type, path: "\(fieldPath)[\(i)]", depth: depth))
                    }
                }
            } else {
                values = [try self.value(value, field, in: type, path: fieldPath, depth: depth)]
            }
            fields.append(DecodedField(descriptor: field, values: values))
        }
        fields.sort { $0.number < $1.number }
        return DecodedMessage(type: type, fields: fields, unknownFields: unknown)
    }

    func unknownFields(_ json: JSONValue, _ descriptor: MessageDescriptor, path: String) throws(ImageError) -> [UnknownField] {
        let bytes = try base64(json, path: path)
        var fields: [UnknownField] = []
        do throws(ImageError) {
            try withBytes(bytes) { (buffer) throws(ImageError) in
                var reader = WireReader(buffer)
                while true {
                    let start = reader.position
                    guard let key = try reader.nextKey() else { break }
                    try reader.skip(key.wireType)
                    if let known = descriptor.field(key.number) {
                        throw Self.invalid(path, "field \(key.number) is \(descriptor.name).\(known.name): give it by name")
                    }
                    let raw = Array(UnsafeRawBufferPointer(rebasing: buffer[start..<reader.position]))
                    fields.append(UnknownField(number: key.number, wireType: key.wireType, offset: 0, bytes: raw))
                }
            }
        } catch where error.code != .invalidValue {
            throw Self.invalid(path, "not protobuf fields: \(error.code) at byte \(error.offset)")
        }
        return fields
    }

    func value(_ json: JSONValue, _ field: FieldDescriptor, in messageType: String, path: String, depth: Int) throws(ImageError) -> DecodedValue {
        func mismatch(_ expected: String) -> ImageError {
            Self.invalid(path, "\(messageType).\(field.name) expects \(expected), found \(json.kindName)")
        }
        switch field.type {
        case .message, .group:
            return .message(try message(field.typeName ?? "", json, path: path, depth: depth + 1))
        case .bool:
            guard case .bool(let b) = json else { throw mismatch("true or false") }
            return .bool(b)
        case .enumeration:
            let enumeration = field.typeName.flatMap { schema.enums[$0] }
            switch json {
            case .string(let name):
                guard let number = enumeration?.names.first(where: { $0.value == name })?.key else {
                    throw Self.invalid(path, "\(name) is not a value of \(field.typeName ?? "the enum")")
                }
                return .enumeration(number, name: name)
            case .number(let text):
                guard let number = Int32(text) else { throw Self.invalid(path, "\(text) does not fit an enum (int32)") }
                return .enumeration(number, name: enumeration?.name(of: number))
            default:
                throw mismatch("an enum name or number")
            }
        case .string:
            guard case .string(let text) = json else { throw mismatch("a string") }
            return .string(PythonText.stringBytes(text))
        case .bytes:
            guard case .string(let text) = json else { throw mismatch("base64 text") }
            if field.options.conv == "unix_name" {
                guard let bytes = QuotedPrintable.decode(text) else { throw Self.invalid(path, "\"\(text)\" is not quoted-printable") }
                return .bytes(bytes)
            }
            guard let bytes = Base64.decode(text) else { throw Self.invalid(path, "not base64 text") }
            return .bytes(bytes)
        case .float, .double:
            guard case .number(let text) = json, let d = Double(text) else { throw mismatch("a number") }
            return .floatingPoint(d)
        default:
            return try integer(json, field, in: messageType, path: path)
        }
    }

    /// An integer field's value: a JSON number, or one of crit's renderings of it.
    func integer(_ json: JSONValue, _ field: FieldDescriptor, in messageType: String, path: String) throws(ImageError) -> DecodedValue {
        let unsigned = [.uint32, .uint64, .fixed32, .fixed64].contains(field.type)
        var negative = false
        var magnitude: UInt64
        switch json {
        case .number(let text):
            negative = text.hasPrefix("-")
            guard let m = UInt64(negative ? String(text.dropFirst()) : text) else {
                throw Self.invalid(path, "\(text) is not an integer of 64 bits")
            }
            magnitude = m
        case .string(let text):
            let o = field.options
            if let hex = HexText.signed(text) {
                (negative, magnitude) = hex
            } else if o.dev {
                let kernel = !o.odev || (!critCompatible && messageType == "irmap_cache_entry")
                guard let v = DeviceNumber.parse(text, kernel: kernel) else {
                    throw Self.invalid(path, "\"\(text)\" is not a device number major:minor (\(kernel ? "kernel" : "glibc") encoding)")
                }
                magnitude = v
            } else if let name = o.flags, let table = FlagTable.named(name) {
                guard let v = table.value(of: text) else { throw Self.invalid(path, "\"\(text)\" is not a set of \(name) flags") }
                magnitude = v
            } else if let dict = o.dict {
                guard let v = NameTable.value(dict: dict, field: field.name, name: text, critCompatible: critCompatible) else {
                    throw Self.invalid(path, "\"\(text)\" is not a name of \(messageType).\(field.name)\(critCompatible ? " (crit-compatible)" : "")")
                }
                magnitude = v
            } else {
                throw Self.invalid(path, "\(messageType).\(field.name) expects a number or 0x... text, found \"\(text)\"")
            }
        default:
            throw Self.invalid(path, "\(messageType).\(field.name) expects a number, found \(json.kindName)")
        }
        if unsigned {
            guard !negative || magnitude == 0 else { throw Self.invalid(path, "\(messageType).\(field.name) is unsigned: -\(magnitude)") }
            return .unsigned(magnitude)
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw Self.invalid(path, "-\(magnitude) does not fit 64 bits") }
            return .signed(magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude))
        }
        guard let v = Int64(exactly: magnitude) else { throw Self.invalid(path, "\(magnitude) does not fit a signed 64-bit field") }
        return .signed(v)
    }
}

/// `0x...` text as crit writes hex values.
enum HexText {
    /// `0x` and hex digits.
    static func unsigned<S: StringProtocol>(_ text: S) -> UInt64? {
        guard text.hasPrefix("0x") || text.hasPrefix("0X") else { return nil }
        let digits = text.dropFirst(2)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return nil }
        return UInt64(digits, radix: 16)
    }

    /// `0x...` or `-0x...`: (negative, magnitude).
    static func signed(_ text: String) -> (Bool, UInt64)? {
        if text.hasPrefix("-") { return unsigned(text.dropFirst()).map { (true, $0) } }
        return unsigned(text).map { (false, $0) }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces.
    var trimmingSpaces: Substring {
        var s = self[...]
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return Substring(s)
    }
}

extension JSONValue {
    /// `an object`, `a string`..., for error messages.
    var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string(let s): "the string \"\(s.count > 40 ? String(s.prefix(40)) + "..." : s)\""
        case .number(let n): "the number \(n)"
        case .bool(let b): "\(b)"
        case .null: "null"
        }
    }
}
