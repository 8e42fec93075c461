@testable import CRIUImages

/// The JSON of a hand-made image, pretty.
func json(_ bytes: [UInt8], _ name: String, _ options: CritJSON.Options = .init()) throws -> String {
    try CritJSON(options: options).render(bytes, fileName: name).serialized()
}
