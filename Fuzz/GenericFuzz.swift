// libFuzzer target: any bytes as any schema message. The first two bytes (big-endian) pick the
// message type; the rest is decoded with GenericDecoder and rendered as crit renders an entry.
// Built by Scripts/fuzz.sh against the instrumented CRIUImages module, with FuzzSupport.swift.

import CRIUImages

@_cdecl("LLVMFuzzerTestOneInput")
public func genericFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let index = (Int(data[0]) << 8 | Int(data[1])) % fuzzMessageNames.count
    let bytes = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    guard let message = try? GenericDecoder().decode(fuzzMessageNames[index], from: bytes) else { return 0 }
    _ = message.missingRequiredFields()
    let json = JSONValue.object(CritJSON().render(message, hex: data[0] & 0x80 != 0))
    _ = json.serialized(pretty: true)
    return 0
}
