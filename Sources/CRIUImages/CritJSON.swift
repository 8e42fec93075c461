/// Renders decoded images as JSON in crit's layout (`crit decode`, `crit show`; CRIU-FORMAT.md section 7).
///
/// By default the output follows the image format where crit is wrong (CRIU-FORMAT.md 7.7):
/// task states are labelled with CRIU's meaning (2 = `Zombie`, 3 = `Stopped`), the `irmap-cache`
/// device is decoded in the kernel encoding CRIU stores, old SysV shm payloads are read only when
/// CRIU wrote them, and an enum number the schema does not know is kept as a number instead of
/// dropping the field. Set ``Options/critCompatible`` to reproduce crit's labels and device decoding.
public struct CritJSON: Sendable {
    /// How ``CritJSON`` renders: crit's `--pretty` conversions, payloads, and where to follow crit instead of the format.
    public struct Options: Hashable, Sendable {
        /// Apply the `--pretty` conversions (hex, flags, dev, dict, ipadd) — crit's `show` / `decode --pretty`.
        public var pretty: Bool
        /// Replace payloads by their size, like `crit show --nopl`.
        public var payloads: Bool
        /// Reproduce crit's task-state labels and irmap device decoding (7.7 #1, #2).
        public var critCompatible: Bool

        /// Options; the defaults give the output of `crit decode --pretty`, except where crit is wrong
        /// (see ``critCompatible``).
        public init(pretty: Bool = true, payloads: Bool = true, critCompatible: Bool = false) {
            self.pretty = pretty
            self.payloads = payloads
            self.critCompatible = critCompatible
        }
    }

    /// How values are rendered.
    public var options: Options
    /// The schema entries are decoded with.
    public var schema: Schema

    /// A renderer with `options`, decoding with `schema` (by default the embedded ``Schema/criu``).
    public init(options: Options = Options(), schema: Schema = .criu) {
        self.options = options
        self.schema = schema
    }

    /// Frames, decodes and renders an image file: `{"magic": ..., "entries": [...]}`.
    public func render(_ bytes: [UInt8], fileName: String) throws(ImageError) -> JSONValue {
        let image = try ImageFile.parse(bytes, fileName: fileName)
        if image.kind.isRaw {
            throw ImageError(.rawImage, offset: 0, detail: "\(image.kind.name) images hold raw data, not protobuf entries", file: fileName, image: image.kind.name)
        }
        return try render(image, bytes: bytes)
    }

    /// Renders a framed image whose bytes are `bytes`.
    public func render(_ image: ImageFile, bytes: [UInt8]) throws(ImageError) -> JSONValue {
        let decoder = GenericDecoder(schema: schema)
        var entries: [JSONValue] = []
        do throws(ImageError) {
            try withBytes(bytes) { (buffer) throws(ImageError) in
                for entry in image.entries {
                    do throws(ImageError) {
                        let message = try decoder.decode(entry, in: buffer)
                        var object = render(message, hex: false)
                        if let extra = entry.extra {
                            if let rendered = try renderExtra(extra, kind: image.kind, buffer: buffer) {
                                object.append(("extra", rendered))
                            }
                        }
                        entries.append(.object(object))
                    } catch {
                        throw error.located(entry: entry.index)
                    }
                }
            }
        } catch {
            throw error.located(file: image.fileName, image: image.kind.name)
        }
        var top: [(String, JSONValue)] = [("magic", .string(image.kind.magicName))]
        // What crit's layout cannot say, only where an image differs from what CRIU writes today.
        if image.byteOrder == .bigEndian { top.append(("byte_order", .string("big"))) }
        if image.magicWords.count != image.kind.canonicalMagicWordCount { top.append(("magic_words", .int(image.magicWords.count))) }
        top.append(("entries", .array(entries)))
        return .object(top)
    }

    /// Renders one decoded message as crit renders an entry object; fields the schema does not know
    /// follow as base64 of their wire bytes under ``unknownFieldsKey`` (crit drops them).
    public func render(_ message: DecodedMessage, hex: Bool) -> [(String, JSONValue)] {
        var pairs: [(String, JSONValue)] = []
        for field in message.fields {
            pairs.append((field.name, render(field, inheritedHex: hex, in: message.type)))
        }
        if !message.unknownFields.isEmpty {
            pairs.append((Self.unknownFieldsKey, .string(Base64.mime(message.unknownFields.flatMap(\.bytes)))))
        }
        return pairs
    }

    private func render(_ field: DecodedField, inheritedHex: Bool, in messageType: String) -> JSONValue {
        let o = field.descriptor.options
        if field.descriptor.isRepeated {
            if options.pretty && o.ipadd {
                return .array([.string(IPAddress.format(words: field.values.compactMap { if case .unsigned(let v) = $0 { UInt32(truncatingIfNeeded: v) } else { nil } }))])
            }
            return .array(field.values.map { render($0, field: field.descriptor, inheritedHex: inheritedHex, in: messageType) })
        }
        return render(field.values[0], field: field.descriptor, inheritedHex: inheritedHex, in: messageType)
    }

    private func render(_ value: DecodedValue, field: FieldDescriptor, inheritedHex: Bool, in messageType: String) -> JSONValue {
        let o = field.options
        let hex = options.pretty && (inheritedHex || o.hex)
        switch value {
        case .message(let message):
            return .object(render(message, hex: hex))
        case .unsigned(let v):
            if hex { return .string("0x" + String(v, radix: 16)) }
            if options.pretty {
                if o.dev {
                    let kernel = !o.odev || (!options.critCompatible && messageType == "irmap_cache_entry")
                    return .string(kernel ? DeviceNumber.kernel(v) : DeviceNumber.userspace(v))
                }
                if let table = o.flags, let flags = FlagTable.named(table) {
                    return .string(flags.describe(v))
                }
                if let dict = o.dict {
                    if let name = NameTable.name(dict: dict, field: field.name, value: v, critCompatible: options.critCompatible) {
                        return .string(name)
                    }
                }
            }
            return .int(v)
        case .signed(let v):
            if hex { return .string(v < 0 ? "-0x" + String(v.magnitude, radix: 16) : "0x" + String(v, radix: 16)) }
            return .int(v)
        case .bool(let b):
            return .bool(b)
        case .enumeration(let number, let name):
            return name.map(JSONValue.string) ?? .int(number)
        case .string(let bytes):
            return .string(PythonText.stringField(bytes))
        case .bytes(let bytes):
            if o.conv == "unix_name" { return .string(QuotedPrintable.encode(bytes)) }
            return .string(Base64.mime(bytes))
        case .floatingPoint(let d):
            return .number(String(d))
        }
    }

    private func renderExtra(_ extra: ExtraPayload, kind: ImageKind, buffer: UnsafeRawBufferPointer) throws(ImageError) -> JSONValue? {
        if !options.payloads {
            if kind.layout == .ghostFile { return nil }
            return .string("... <\(Self.sizeText(extra.byteCount))>")
        }
        func b64(_ r: Range<Int>) -> JSONValue { .string(Base64.mime(UnsafeRawBufferPointer(rebasing: buffer[r]))) }
        switch extra {
        case .bytes(let r):
            return b64(r)
        case .tcpQueues(let inq, let outq):
            return .object([("inq", b64(inq)), ("outq", b64(outq))])
        case .semaphores(let values):
            return .array(values.map { .int($0) })
        case .messages(let records):
            var items: [JSONValue] = []
            let plain = CritJSON(options: Options(pretty: false, payloads: true, critCompatible: options.critCompatible), schema: schema)
            for record in records {
                var reader = WireReader(buffer, range: record.header)
                let message = try GenericDecoder(schema: schema).decode("ipc_msg", from: &reader)
                items.append(.object(plain.render(message, hex: false)))
                items.append(b64(record.data))
            }
            return .array(items)
        }
    }

    /// crit's `--nopl` size text: `20B`, `4KB`, `1.5MB`.
    static func sizeText(_ count: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if value == value.rounded() { return "\(Int(value))\(units[unit])" }
        let tenths = (value * 10).rounded() / 10
        return "\(tenths)\(units[unit])"
    }
}

/// Device-number text.
enum DeviceNumber {
    /// The value `"major:minor"` stands for in the kernel (`kernel: true`) or glibc encoding; nil if
    /// the text is not two decimal numbers or they do not fit the encoding.
    static func parse(_ text: String, kernel: Bool) -> UInt64? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let major = UInt64(parts[0]), let minor = UInt64(parts[1]) else { return nil }
        if kernel {
            guard minor <= 0xFFFFF, major <= UInt64.max >> 20 else { return nil }
            return major << 20 | minor
        }
        guard major <= 0xFFF, minor <= 0xFFFFF else { return nil }
        return (minor & 0xFF) | major << 8 | (minor & 0xFFF00) << 12
    }

    /// Kernel encoding: major << 20 | minor.
    static func kernel(_ v: UInt64) -> String { "\(v >> 20):\(v & 0xFFFFF)" }
    /// glibc `makedev` encoding of a 32-bit value.
    static func userspace(_ v: UInt64) -> String {
        let major = (v >> 8) & 0xFFF
        let minor = (v & 0xFF) | ((v >> 12) & 0xFFF00)
        return "\(major):\(minor)"
    }
}
