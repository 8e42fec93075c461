// libFuzzer target: any bytes as any image kind. The first byte picks the file name (and so the
// kind where magics are shared); the rest is the file, framed with ImageFile.parse, every entry
// decoded with GenericDecoder, and the image rendered with CritJSON in three option sets.
//
// Property (the encoder): every JSON the decoder renders with payloads encodes back to an image
// (CritJSON.encodeImage) that renders to the same JSON, and that image is canonical: encoding its
// JSON again gives the same bytes. The JSON text also parses back to the same value.
// Built by Scripts/fuzz.sh against the instrumented CRIUImages module, with FuzzSupport.swift.

import CRIUImages

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
    for options in [CritJSON.Options(), CritJSON.Options(pretty: false, payloads: true, critCompatible: true),
                    CritJSON.Options(pretty: false, payloads: false, critCompatible: true)] {
        let renderer = CritJSON(options: options)
        guard let json = try? renderer.render(image, bytes: bytes) else { continue }
        let text = json.serialized(pretty: options.pretty)
        guard options.payloads, !image.kind.isRaw else { continue }
        checkRoundTrip(json, text: text, name: name, renderer: renderer)
    }
    return 0
}

/// Traps (a libFuzzer crash) when the encoder's round trip does not hold.
func checkRoundTrip(_ json: JSONValue, text: String, name: String, renderer: CritJSON) {
    func fail(_ why: String) -> Never {
        print("round trip (\(name), \(renderer.options)): \(why)\nJSON: \(text.prefix(4000))")
        fatalError("round trip: \(why)")
    }
    let parsed: JSONValue
    do { parsed = try JSONValue(parsing: text) } catch { fail("the JSON text does not parse: \(error)") }
    guard parsed == json else { fail("the JSON text parses to another value") }
    let encoded: [UInt8]
    do { encoded = try renderer.encodeImage(json) } catch { fail("encode failed: \(error)") }
    let again: JSONValue
    do { again = try renderer.render(encoded, fileName: name) } catch { fail("the encoded image does not decode: \(error)") }
    guard again == json else { fail("decode(encode(json)) differs: \(again.serialized(pretty: renderer.options.pretty).prefix(4000))") }
    guard let twice = try? renderer.encodeImage(again), twice == encoded else { fail("the encoded image is not canonical") }
}
