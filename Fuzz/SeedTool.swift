// Writes the seed corpora of the decoder and generic targets from fixture images (run by
// Scripts/fuzz.sh; not a fuzz target). Usage: seed-tool DECODER_DIR GENERIC_DIR MAX_LEN FILE...
#if canImport(Glibc)
import Glibc
#endif

@main
struct SeedTool {
    static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        return bytes
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) {
        guard let f = fopen(path, "wb") else { return }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }

    static func main() {
        let args = CommandLine.arguments
        guard args.count >= 4, let maxLen = Int(args[3]) else {
            print("usage: seed-tool DECODER_DIR GENERIC_DIR MAX_LEN FILE...")
            exit(2)
        }
        var decoderSeeds = 0, genericSeeds = 0
        var seen = Set<[UInt8]>()
        for path in args.dropFirst(4) {
            guard let bytes = readFile(path) else { continue }
            let name = String(path.split(separator: "/").last ?? "")
            guard let image = try? ImageFile.parse(bytes, fileName: name) else { continue }
            if let index = fuzzImageFileNames.firstIndex(where: { $0.kind == image.kind.name }), bytes.count < maxLen {
                writeFile("\(args[1])/image-\(decoderSeeds)", [UInt8(index)] + bytes)
                decoderSeeds += 1
            }
            for entry in image.entries {
                guard let index = fuzzMessageNames.firstIndex(of: entry.message) else { continue }
                let seed = [UInt8(index >> 8), UInt8(index & 0xFF)] + bytes[entry.range]
                guard seed.count <= maxLen, seen.insert(seed).inserted else { continue }
                writeFile("\(args[2])/entry-\(genericSeeds)", seed)
                genericSeeds += 1
            }
        }
        print("seeds: \(decoderSeeds) images, \(genericSeeds) entries")
    }
}
