/// A typed model that writes itself back to the wire: the inverse of ``ImageMessage/init(from:)``.
///
/// A model holds the values of its message, not its bytes, so it writes what CRIU writes for those
/// values: every `required` field, the optional ones the model has (a non-optional property of an
/// optional field is written when it differs from the proto default), fields in number order, as
/// ``WireWriter`` encodes them. A model decoded from CRIU's bytes writes those bytes again when it
/// covers every field present in them (fields a model leaves out, and unknown fields, are not
/// kept: edit such messages with ``GenericDecoder`` and ``GenericEncoder``, which keep everything).
///
/// ```swift
/// var vma = try VMA(bytes: entryBytes)
/// vma.protection.insert(.write)
/// let bytes = try vma.encoded()
/// ```
public protocol EncodableImageMessage: ImageMessage {
    /// Appends the message's fields to `writer` (no length prefix).
    ///
    /// Throws ``ImageError/Code/invalidValue`` when the model holds what the message cannot say.
    func encode(to writer: inout WireWriter) throws(ImageError)
}

extension EncodableImageMessage {
    /// The message's wire bytes.
    public func encoded() throws(ImageError) -> [UInt8] {
        var writer = WireWriter()
        try encode(to: &writer)
        return writer.bytes
    }
}

extension WireWriter {
    /// A nested message field written by its model.
    mutating func write<M: EncodableImageMessage>(_ number: Int, message: M) throws(ImageError) {
        var sub = WireWriter()
        try message.encode(to: &sub)
        write(number, bytes: sub.bytes)
    }
}

extension ImageWriter {
    /// Appends an entry written by its typed model, and its payload.
    public mutating func append<M: EncodableImageMessage>(_ model: M, payload: Payload? = nil) throws(ImageError) {
        if let expected = nextMessageType, M.messageName != expected {
            throw ImageError(.invalidValue, path: "", detail: "entry \(entryCount) of \(kind.name) is a \(expected), not a \(M.messageName)")
                .located(image: kind.name, entry: entryCount)
        }
        let bytes: [UInt8]
        do {
            bytes = try model.encoded()
        } catch {
            throw error.located(image: kind.name, entry: entryCount)
        }
        try append(bytes, payload: payload)
    }
}
