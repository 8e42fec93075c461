import TestSupport
import Testing
@testable import CRIUImages

/// What the encoder reads: crit's renderings of each value, the JSON text itself, and the errors
/// that name the value which does not fit its field.
@Suite struct EncodeInputTests {
    /// The message that `json` (one entry object) describes, encoded.
    func encode(_ type: String, _ json: String, critCompatible: Bool = false) throws -> [UInt8] {
        let message = try CritJSON(options: .init(critCompatible: critCompatible)).message(type, from: JSONValue(parsing: json))
        return try GenericEncoder().encode(message)
    }

    func encodeError(_ json: String, critCompatible: Bool = false) -> ImageError? {
        do {
            _ = try CritJSON(options: .init(critCompatible: critCompatible)).encodeImage(JSONValue(parsing: json))
            return nil
        } catch {
            return error
        }
    }

    @Test func crit_sRenderingsOfIntegers() throws {
        // vma_entry: start/end hex, prot/flags/status flag names, fd signed.
        let vma = try encode("vma_entry", """
            {"start": "0x400000", "end": "0x401000", "pgoff": 0, "shmid": 0, "prot": "PROT_EXEC | PROT_READ",
             "flags": "MAP_PRIVATE | 0x10", "status": "", "fd": -1}
            """)
        #expect(vma == Proto().varint(1, 0x40_0000).varint(2, 0x40_1000).varint(3, 0).varint(4, 0).varint(5, 5).varint(6, 0x12)
            .varint(7, 0).sint(8, -1).bytes)
        // Plain numbers are the same values.
        #expect(try encode("vma_entry", """
            {"start": 4194304, "end": 4198400, "pgoff": 0, "shmid": 0, "prot": 5, "flags": 18, "status": 0, "fd": -1}
            """) == vma)
        // Devices: kernel encoding for ghost `dev`, glibc for `rdev` (CRIU-FORMAT.md 7.6 vectors).
        #expect(try encode("ghost_file_entry", #"{"uid": 0, "gid": 0, "mode": 8592, "dev": "254:0", "rdev": "561:259"}"#)
            == Proto().varint(1, 0).varint(2, 0).varint(3, 8592).varint(4, 0xFE0_0000).varint(6, 0x12_3103).bytes)
        // A signed value inside a hex message.
        #expect(try encode("task_core_entry", #"{"task_state": "Alive", "exit_code": 0, "personality": 0, "flags": 0, "blk_sigset": "0xa00", "oom_score_adj": -1000}"#)
            == Proto().varint(1, 1).varint(2, 0).varint(3, 0).varint(4, 0).varint(5, 0xA00).varint(14, UInt64(bitPattern: -1000)).bytes)
    }

    @Test func taskStateNamesDependOnCritCompatibility() throws {
        // CRIU stores 2 for a zombie and 3 for a stopped task; crit calls 3 "Zombie" and 6 "Stopped".
        for (name, ours, crit) in [("Zombie", 2, 3), ("Stopped", 3, 6), ("Alive", 1, 1)] as [(String, UInt64, UInt64)] {
            let json = #"{"task_state": "\#(name)", "exit_code": 0, "personality": 0, "flags": 0, "blk_sigset": 0}"#
            #expect(try encode("task_core_entry", json) == Proto().varint(1, ours).varint(2, 0).varint(3, 0).varint(4, 0).varint(5, 0).bytes)
            #expect(try encode("task_core_entry", json, critCompatible: true) == Proto().varint(1, crit).varint(2, 0).varint(3, 0).varint(4, 0).varint(5, 0).bytes)
        }
        // The irmap device: kernel encoding unless crit-compatible (crit decodes it as glibc's).
        #expect(try encode("irmap_cache_entry", #"{"dev": "254:3", "inode": 1, "path": "/"}"#) == Proto().varint(1, 254 << 20 | 3).varint(2, 1).string(3, "/").bytes)
        #expect(try encode("irmap_cache_entry", #"{"dev": "0:65027", "inode": 1, "path": "/"}"#, critCompatible: true) == Proto().varint(1, 254 << 20 | 3).varint(2, 1).string(3, "/").bytes)
    }

    @Test(arguments: [
        ("127.0.0.1", [0x0100_007F]),
        ("::", [0, 0, 0, 0]),
        ("::1", [0, 0, 0, 0x0100_0000]),
        ("2001:db8::1:0:0:1", [0xB80D_0120, 0, 0x0000_0100, 0x0100_0000]),
        ("::ffff:7f00:1", [0, 0, 0xFFFF_0000, 0x0100_007F]),
        ("::ffff:127.0.0.1", [0, 0, 0xFFFF_0000, 0x0100_007F]),  // Python 3.13's crit
        ("1:0:1:0:1:0:1:0", [0x0000_0100, 0x0000_0100, 0x0000_0100, 0x0000_0100]),
    ] as [(String, [UInt32])])
    func ipAddresses(text: String, words: [UInt32]) throws {
        #expect(IPAddress.words(text) == words)
        if !text.contains(".") || words.count == 1 { #expect(IPAddress.format(words: words) == text) }
    }

    @Test func invalidIPAddressesAreRefused() {
        for text in ["1.2.3", "1.2.3.256", "01.2.3.4", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", ":::", "1:2:3:4:5:6:7", "g::"] {
            #expect(IPAddress.words(text) == nil, "\(text)")
        }
    }

    @Test func bytesStringsAndEnums() throws {
        // unix socket names are quoted-printable (crit's vectors, CRIU-FORMAT.md 7.6).
        for (text, bytes) in [("listen.sock=00", Array("listen.sock".utf8) + [0]), ("=00abstract", [0] + Array("abstract".utf8)),
                              ("a=3Db c=20", Array("a=b c ".utf8)), ("=2E\n", Array(".\n".utf8)), ("=FF=FE=80", [0xFF, 0xFE, 0x80]),
                              (String(repeating: "x", count: 75) + "=\n" + String(repeating: "x", count: 25), [UInt8](repeating: 0x78, count: 100))]
            as [(String, [UInt8])] {
            #expect(QuotedPrintable.decode(text) == bytes, "\(text)")
            #expect(QuotedPrintable.encode(bytes) == text)
        }
        // Strings that are not UTF-8 come as Python bytes literals; a literal that is not exactly
        // what the decoder prints for such bytes is the text itself.
        for (text, bytes) in [("b'bad\\xff\\xfe\\x00nul\\x01\\x1f\\n/_'", Array("bad".utf8) + [0xFF, 0xFE, 0] + Array("nul".utf8) + [1, 0x1F, 0x0A] + Array("/_".utf8)),
                              ("b\"it's\\xff\"", Array("it's".utf8) + [0xFF]),
                              ("b'plain'", Array("b'plain'".utf8)),     // valid UTF-8 bytes print as text, so this is text
                              ("b'\\x41\\xff'", Array("b'\\x41\\xff'".utf8)), // 'A' would print as A: not the decoder's form
                              ("/tmp/é", Array("/tmp/é".utf8))] as [(String, [UInt8])] {
            #expect(PythonText.stringBytes(text) == bytes, "\(text)")
        }
        // Enums by name or number (an unknown number is kept).
        #expect(try encode("fdinfo_entry", #"{"id": 1, "flags": 0, "type": "REG", "fd": 5}"#) == Proto().varint(1, 1).varint(2, 0).varint(3, 1).varint(4, 5).bytes)
        #expect(try encode("fdinfo_entry", #"{"id": 1, "flags": 0, "type": 99, "fd": 5}"#) == Proto().varint(1, 1).varint(2, 0).varint(3, 99).varint(4, 5).bytes)
        // bytes fields are base64.
        #expect(try encode("seccomp_filter", #"{"filter": "AQID\n"}"#) == Proto().bytes(1, [1, 2, 3]).bytes)
    }

    @Test func quotedPrintableIsStableForAnyBytes() {
        var rng = XorShift(seed: 19)
        let alphabet: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x2E, 0x3D, 0x41, 0x7F, 0xFF]
        for _ in 0..<3000 {
            let count = Int(rng.next() % 90)
            let bytes = (0..<count).map { _ in rng.next() % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let text = QuotedPrintable.encode(bytes)
            guard let decoded = QuotedPrintable.decode(text) else { Issue.record("\(bytes) does not decode"); continue }
            // Only newlines may change (CR LF / LF, as Python's encoder writes them), and never the text.
            #expect(QuotedPrintable.encode(decoded) == text, "\(bytes)")
            if !bytes.contains(0x0D) { #expect(decoded == bytes, "\(bytes)") }
        }
    }

    // MARK: - Errors

    @Test func aValueThatDoesNotFitNamesItsPath() throws {
        let mm = #"{"magic": "MM", "entries": [{"mm_start_code": 0, "mm_end_code": 0, "mm_start_data": 0, "mm_end_data": 0, "mm_start_stack": 0, "mm_start_brk": 0, "mm_brk": 0, "mm_arg_start": 0, "mm_arg_end": 0, "mm_env_start": 0, "mm_env_end": 0, "exe_file_id": 1, "vmas": [{"start": 0, "end": 4096, "pgoff": 0, "shmid": 0, "prot": 0, "flags": 0, "status": 0, "fd": 0}, {"start": 0, "end": 4096, "pgoff": 0, "shmid": 0, "prot": "PROT_READ | PROT_TELEPORT", "flags": 0, "status": 0, "fd": 0}]}]}"#
        let e = try #require(encodeError(mm))
        #expect(e.code == .invalidValue)
        #expect(e.image == "MM")
        #expect(e.entry == 0)
        #expect(e.path == "vmas[1].prot")
        #expect(e.description == "MM entry 0: vmas[1].prot: invalid value: \"PROT_READ | PROT_TELEPORT\" is not a set of mmap.prot flags")

        let cases: [(String, ImageError.Code, String?, String)] = [
            (#"{"magic": "PAGEMAP", "entries": [{"pages_id": 4294967296}]}"#, .invalidValue, "pages_id", "4294967296 does not fit uint32"),
            (#"{"magic": "PAGEMAP", "entries": [{"pages_id": -1}]}"#, .invalidValue, "pages_id", "unsigned"),
            (#"{"magic": "PAGEMAP", "entries": [{"pages_id": 1.5}]}"#, .invalidValue, "pages_id", "not an integer"),
            (#"{"magic": "PAGEMAP", "entries": [{"pages_id": 1}, {"vaddr": "0x1000", "compat_nr_pages": 0, "in_parent": "yes"}]}"#, .invalidValue, "in_parent", "expects true or false"),
            (#"{"magic": "PAGEMAP", "entries": [{"pages_id": 1, "pages": 2}]}"#, .unknownField, "pages", "pagemap_head has no field pages"),
            (#"{"magic": "PAGEMAP", "entries": [{"pages_id": 1, "pages_id": 2}]}"#, .invalidValue, "pages_id", "given twice"),
            (#"{"magic": "FDINFO", "entries": [{"id": 1, "flags": 0, "type": "SOCKET", "fd": 0}]}"#, .invalidValue, "type", "SOCKET is not a value of fd_types"),
            (#"{"magic": "CORE", "entries": [{"mtype": "X86_64"}, {"mtype": "X86_64"}]}"#, .unexpectedEntryCount, "", "CORE holds one entry"),
            (#"{"magic": "PIPES_DATA", "entries": [{"pipe_id": 1, "bytes": 3, "extra": "aGk=\n"}]}"#, .invalidPayload, "extra", "pipe_data_entry.bytes is 3, the payload holds 2 bytes"),
            (#"{"magic": "PIPES_DATA", "entries": [{"pipe_id": 1, "bytes": 3, "extra": "... <3B>"}]}"#, .invalidPayload, "extra", "decode --no-payload"),
            (#"{"magic": "FILES", "entries": [{"type": "REG", "id": 1, "extra": ""}]}"#, .invalidPayload, "extra", "FILES entries have no extra payload"),
            (#"{"magic": "PAGES", "raw": true, "size": 4096}"#, .rawImage, "raw", "holds only its size"),
            (#"{"magic": "PAGE_MAP", "entries": []}"#, .unknownMagic, "magic", "no image is called PAGE_MAP"),
            (#"{"magic": "INVENTORY", "magic_words": 3, "entries": []}"#, .invalidValue, "magic_words", "1 or 2 magic words"),
            (##"{"magic": "SECCOMP", "entries": [{"#unknown": "CAE=\n"}]}"##, .invalidValue, "#unknown", "field 1 is seccomp_entry.seccomp_filters: give it by name"),
            (##"{"magic": "SECCOMP", "entries": [{"#unknown": "CA==\n"}]}"##, .invalidValue, "#unknown", "not protobuf fields"),
            (#"{"magic": "TCP_STREAM", "entries": [{"inq_len": 1, "inq_seq": 0, "outq_len": 0, "outq_seq": 0, "opt_mask": 0, "snd_wscale": 0, "mss_clamp": 0, "rcv_wscale": 0, "timestamp": 0, "extra": {"inq": "", "outq": ""}}]}"#,
             .invalidPayload, "extra", "tcp_stream_entry.inq_len is 1, the payload holds 0 bytes"),
        ]
        for (json, code, path, detail) in cases {
            let e = try #require(encodeError(json), "\(json)")
            #expect(e.code == code, "\(json): \(e)")
            #expect(e.path == path, "\(json): \(e)")
            #expect(e.detail.contains(detail), "\(json): \(e)")
        }
    }

    @Test func theJSONTextItself() throws {
        let v = try JSONValue(parsing: #" {"a": [1, -2.5e3, true, false, null, "\u00e9\ud83d\ude00\n\"\\\/"], "b": {}, "a": []} "#)
        #expect(v == .object([("a", .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("é😀\n\"\\/")])),
                              ("b", .object([])), ("a", .array([]))]))
        #expect(try JSONValue(parsing: "\"é\"") == .string("é"))
        for (text, offset) in [("{\"a\": 1,}", 8), ("[1 2]", 3), ("\"\\ud800\"", 1), ("01", 1), ("{\"a\" 1}", 5), ("\"a\u{01}\"", 2), ("tru", 0), ("", 0), ("[1] x", 4)] {
            #expect(throws: ImageError.self, "\(text)") { try JSONValue(parsing: text) }
            do { _ = try JSONValue(parsing: text) } catch {
                #expect(error.code == .invalidJSON)
                #expect(error.offset == offset, "\(text): \(error)")
            }
        }
        // Nesting is bounded (no stack overflow on hostile input).
        let deep = String(repeating: "[", count: 100_000)
        #expect { try JSONValue(parsing: deep) } throws: { ($0 as? ImageError)?.detail.contains("nested deeper") == true }
    }
}

/// A small deterministic generator for the property checks (xorshift64*).
struct XorShift {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
