// libFuzzer target: any bytes as any image kind. The first byte picks the file name (and so the
// kind where magics are shared); the rest is the file, framed with ImageFile.parse, every entry
// decoded with GenericDecoder, and the image rendered with CritJSON in two option sets.
// Built by Scripts/fuzz.sh together with Sources/CRIUImages and FuzzSupport.swift.

@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let name = fuzzImageFileNames[Int(data[0]) % fuzzImageFileNames.count].file
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    guard let image = try? ImageFile.parse(bytes, fileName: name) else { return 0 }
    let decoder = GenericDecoder()
    bytes.withUnsafeBytes { buffer in
        for entry in image.entries {
            if let message = try? decoder.decode(entry, in: buffer) {
                _ = message.missingRequiredFields()
            }
        }
    }
    for options in [CritJSON.Options(), CritJSON.Options(pretty: false, payloads: false, critCompatible: true)] {
        if let json = try? CritJSON(options: options).render(image, bytes: bytes) {
            _ = json.serialized(pretty: options.pretty)
        }
    }
    return 0
}
