// Writes the seed corpora of the decoder and generic targets from fixture images (run by
// Scripts/fuzz.sh; not a fuzz target). Usage: seed-tool DECODER_DIR GENERIC_DIR MAX_LEN FILE...

import CRIUImages
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
        // Hand-written images of what the fixtures lack, made with the encoder from their JSON.
        for (name, text) in syntheticImages {
            guard let index = fuzzImageFileNames.firstIndex(where: { $0.file == name }),
                  let json = try? JSONValue(parsing: text), let bytes = try? CritJSON().encodeImage(json) else {
                print("seed-tool: the synthetic \(name) does not encode")
                exit(1)
            }
            writeFile("\(args[1])/synthetic-\(decoderSeeds)", [UInt8(index)] + bytes)
            decoderSeeds += 1
        }
        print("seeds: \(decoderSeeds) images, \(genericSeeds) entries")
    }
}

/// (file name as in `fuzzImageFileNames`, JSON): payload kinds, framings and renderings the fixtures lack.
let syntheticImages: [(String, String)] = [
    ("ipcns-msg-1.img", """
    {"magic": "IPCNS_MSG", "entries": [{"desc": {"key": 1, "uid": 0, "gid": 0, "cuid": 0, "cgid": 0, "mode": 438, "id": 3},
     "qbytes": 16384, "qnum": 2, "extra": [{"mtype": 1, "msize": 5}, "aGVsbG8=\\n", {"mtype": 2, "msize": 0}, ""]}]}
    """),
    ("ipcns-sem-1.img", """
    {"magic": "IPCNS_SEM", "entries": [{"desc": {"key": 2, "uid": 0, "gid": 0, "cuid": 0, "cgid": 0, "mode": 384, "id": 4},
     "nsems": 3, "extra": [1, 2, 65535]}]}
    """),
    ("ipcns-shm-1.img", """
    {"magic": "IPCNS_SHM", "entries": [{"desc": {"key": 3, "uid": 0, "gid": 0, "cuid": 0, "cgid": 0, "mode": 384, "id": 5},
     "size": 5, "extra": "aGVsbG8=\\n"}, {"desc": {"key": 4, "uid": 0, "gid": 0, "cuid": 0, "cgid": 0, "mode": 384, "id": 6},
     "size": 4096, "in_pagemaps": true}]}
    """),
    ("bpfmap-data.img", """
    {"magic": "BPFMAP_DATA", "entries": [{"map_id": 1, "keys_bytes": 4, "values_bytes": 4, "count": 1, "extra": "AQIDBAUGBwg=\\n"}]}
    """),
    ("ghost-file-1.img", """
    {"magic": "GHOST_FILE", "entries": [{"uid": 0, "gid": 0, "mode": 33188, "dev": "254:0", "rdev": "1:3", "chunks": true, "size": 20},
     {"len": 5, "off": 0, "extra": "aGVsbG8=\\n"}, {"len": 3, "off": 16, "extra": "YWJj\\n"}]}
    """),
    ("pstree.img", """
    {"magic": "PSTREE", "byte_order": "big", "entries": [{"pid": 1, "ppid": 0, "pgid": 1, "sid": 1, "threads": [1, 2]}]}
    """),
    ("pstree.img", """
    {"magic": "PSTREE", "magic_words": 1, "entries": [{"pid": 1, "ppid": 0, "pgid": 1, "sid": 1, "threads": []}]}
    """),
    ("inventory.img", """
    {"magic": "INVENTORY", "magic_words": 2, "entries": [{"img_version": 2, "#unknown": "oAYF\\n"}]}
    """),
    ("irmap-cache", """
    {"magic": "IRMAP_CACHE", "entries": [{"dev": "254:3", "inode": 5, "path": "b'/tmp/\\\\xff'"}]}
    """),
]
