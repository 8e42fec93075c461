import Foundation
import Testing
@testable import CheckpointArchive

/// Writes zstd frames byte by byte from the format specification (RFC 8878, section 3.1.1), so
/// tests can build streams no compressor would: a frame header that declares any content size,
/// then Raw and RLE blocks. An RLE block is a 3-byte header and one byte that the decoder repeats
/// up to 128 KiB (Block_Maximum_Size) times: the largest expansion the format allows, 32,768:1.
struct ZstdFrameWriter {
    private(set) var bytes: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]  // Magic_Number 0xFD2FB528

    /// The largest block content: Block_Maximum_Size, 128 KiB.
    static let maxBlockSize = 128 << 10

    /// The frame header: Frame_Header_Descriptor, then Window_Descriptor (absent with
    /// `singleSegment`: the window is then the whole declared content), then Frame_Content_Size.
    /// No checksum, no dictionary.
    ///
    /// - Parameters:
    ///   - contentSize: Frame_Content_Size, written in 8 bytes (FCS_Field_Size flag 3).
    ///   - singleSegment: Single_Segment_Flag; the decoder must then hold `contentSize` bytes.
    ///   - windowLog: the window when not single-segment: 2^windowLog bytes (10...41).
    init(contentSize: UInt64, singleSegment: Bool = false, windowLog: Int = 17) {
        let fcsFlag: UInt8 = 3
        bytes.append(fcsFlag << 6 | (singleSegment ? 1 << 5 : 0))
        if !singleSegment {
            bytes.append(UInt8(windowLog - 10) << 3)  // Exponent, Mantissa 0
        }
        withUnsafeBytes(of: contentSize.littleEndian) { bytes += $0 }
    }

    /// Block_Header: Last_Block (bit 0), Block_Type (bits 1-2), Block_Size (bits 3-23), little-endian.
    private mutating func blockHeader(type: UInt32, size: Int, last: Bool) {
        precondition(size <= Self.maxBlockSize)
        let header = UInt32(size) << 3 | type << 1 | (last ? 1 : 0)
        bytes += [UInt8(header & 0xFF), UInt8(header >> 8 & 0xFF), UInt8(header >> 16)]
    }

    /// A Raw_Block (type 0): the bytes as they are.
    mutating func raw(_ data: [UInt8], last: Bool = false) {
        blockHeader(type: 0, size: data.count, last: last)
        bytes += data
    }

    /// An RLE_Block (type 1): `byte` repeated `count` times, in 4 bytes.
    mutating func rle(_ byte: UInt8, count: Int = maxBlockSize, last: Bool = false) {
        blockHeader(type: 1, size: count, last: last)
        bytes.append(byte)
    }

    /// `count` RLE blocks of 128 KiB each, appended at once.
    mutating func rleBlocks(_ byte: UInt8, count: Int) {
        let block: [UInt8] = [0x02, 0x00, 0x10, byte]  // RLE, not last, Block_Size 131,072
        bytes.reserveCapacity(bytes.count + 4 * count)
        for _ in 0..<count { bytes += block }
    }
}

/// The peak resident set of this process so far, in bytes (`getrusage`).
func peakResidentBytes() -> UInt64 {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return UInt64(usage.ru_maxrss) * 1024  // KiB on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return UInt64(usage.ru_maxrss)  // bytes on Darwin
    #endif
}

/// Decompression bombs at the scale of issue #7: "a 1 KiB zstd that expands to 100 GiB". zstd
/// caps an RLE block at 128 KiB from 4 bytes, so a 1 KiB file cannot produce 100 GiB; it can
/// declare 100 GiB (the frame's content size and the tar member's size), which is the lie the
/// first test tells. The second builds a 3.3 MB stream that truly expands to 100 GiB.
extension LimitsTests {
    static let hundredGiB: UInt64 = 100 << 30
    static let bombMember = "checkpoint/pages-1.img"

    /// The tar header of a regular member claiming 100 GiB (base-256: octal stops at 8 GiB).
    static var hundredGiBHeader: [UInt8] {
        TarWriter.header(name: Array(bombMember.utf8), type: UInt8(ascii: "0"), size: .base256(hundredGiB))
    }

    /// At most 1 KiB: a frame declaring 100 GiB of content, a Raw block holding a tar header that
    /// claims a 100 GiB member, then as many 128 KiB RLE blocks as fit in 1,024 bytes (15 MiB).
    static func kilobyteBomb(singleSegment: Bool = false, lastBlock: Bool = false) -> [UInt8] {
        var frame = ZstdFrameWriter(contentSize: 512 + hundredGiB + 1024, singleSegment: singleSegment)
        frame.raw(hundredGiBHeader)
        let room = (1024 - frame.bytes.count) / 4
        frame.rleBlocks(0, count: room - 1)
        frame.rle(0, last: lastBlock)
        return frame.bytes
    }

    @Test func kilobyteZstdDeclaring100GiBEndsWithAClearError() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let bytes = Self.kilobyteBomb()
        #expect(bytes.count <= 1024)
        #expect(bytes.count > 1024 - 4)
        let blocks = (bytes.count - 14 - 515) / 4
        let expanded = 512 + UInt64(blocks) * 131_072
        #expect(blocks == 123)
        let path = try temp.write("bomb.tar.zst", bytes)

        // The file ends inside the frame and inside the 100 GiB member: after ~15 MiB of zeros,
        // truncated, naming the member. Nothing is sized from the claims (a 100 GiB buffer
        // would not fit on the machine), and the error comes when the input runs out.
        let truncated = try #require(archiveDamage { try CheckpointSource.open(path: path) })
        #expect(truncated.code == .truncated, "\(truncated)")
        #expect(truncated.member == Self.bombMember)
        let offset = try #require(truncated.streamOffset)
        #expect(offset > 512 && offset <= expanded, "\(truncated)")
        #expect(truncated.fileOffset == UInt64(bytes.count))
        #expect(truncated.description.contains("checkpoint/pages-1.img"))

        // With a limit below the claim, the header alone is refused, before any data is read.
        let limited = try #require(archiveError {
            try CheckpointSource.open(path: path, options: .init(maxUncompressedBytes: 16 << 20))
        })
        #expect(limited.code == .tooLarge, "\(limited)")
        #expect(limited.member == Self.bombMember)
        #expect(limited.offset == 512)
        #expect(limited.message.contains("107374182400-byte member"))

        // A complete frame (last block flagged) whose content falls short of its declared size:
        // zstd itself reports the mismatch when the last block ends.
        let short = try temp.write("short.tar.zst", Self.kilobyteBomb(lastBlock: true))
        let mismatch = try #require(archiveDamage { try CheckpointSource.open(path: short) })
        #expect(mismatch.code == .corrupt, "\(mismatch)")
        #expect(mismatch.member == Self.bombMember)

        // Single_Segment_Flag makes the declared size the window the decoder must allocate:
        // zstd refuses (its window limit is 128 MiB) before producing a byte.
        let single = try temp.write("single.tar.zst", Self.kilobyteBomb(singleSegment: true))
        let window = try #require(archiveError { try CheckpointSource.open(path: single) })
        #expect(window.code == .corrupt, "\(window)")
        #expect(window.member == nil)
        #expect(window.message.lowercased().contains("memory"), "\(window)")

        #expect(peakResidentBytes() < 4 << 30)
    }

    /// 3.3 MB of zstd that truly expands to 100 GiB: a frame declaring the content, one tar
    /// header claiming a 100 GiB member, 819,200 RLE blocks of 128 KiB, the end-of-archive blocks.
    static func hundredGiBStream() -> [UInt8] {
        var frame = ZstdFrameWriter(contentSize: 512 + hundredGiB + 1024)
        frame.raw(hundredGiBHeader)
        frame.rleBlocks(0xA5, count: Int(hundredGiB / UInt64(ZstdFrameWriter.maxBlockSize)))
        frame.rle(0, count: 1024, last: true)
        return frame.bytes
    }

    @Test func zstdStreamThatTrulyExpandsTo100GiBStopsAtTheLimit() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let bytes = Self.hundredGiBStream()
        #expect(bytes.count == 14 + 515 + 4 * 819_200 + 4)
        let path = try temp.write("bomb.tar.zst", bytes)
        for limit: UInt64 in [16 << 20, 1 << 30, 100 << 30 - 1] {
            let error = try #require(archiveError {
                try CheckpointSource.open(path: path, options: .init(maxUncompressedBytes: limit))
            })
            #expect(error.code == .tooLarge, "\(error)")
            #expect(error.member == Self.bombMember)
            // Refused at the member's header, from its declared size: nothing of the 100 GiB is
            // decompressed (the offset is where the member's data would start).
            #expect(error.offset == 512)
            #expect(error.message == "107374182400-byte member exceeds the limit of \(limit) decompressed bytes")
            #expect(error.description == "\(path): member checkpoint/pages-1.img: \(error.message) at byte 512")
        }
        #expect(peakResidentBytes() < 4 << 30)
    }

    /// The default limit (``CheckpointSource/Options/maxUncompressedBytes``, 1 TiB) admits a
    /// 100 GiB member, and the member is real, so the index pass decompresses all of it (about
    /// 10 s on the 2-core project machine: RLE blocks decode at memory speed) and then succeeds:
    /// a safe result, in bounded memory, with the member indexed and not kept.
    @Test func zstdStreamThatTrulyExpandsTo100GiBWithDefaultLimits() throws {
        let temp = try TempDir()
        defer { temp.cleanup() }
        let bytes = Self.hundredGiBStream()
        let path = try temp.write("bomb.tar.zst", bytes)
        #expect(CheckpointSource.Options().maxUncompressedBytes == 1 << 40)
        let source = try CheckpointSource.open(path: path)
        #expect(source.kind == .tar(.zstd))
        #expect(source.members.map(\.path) == [Self.bombMember])
        #expect(source.members.first?.size == Self.hundredGiB)
        #expect(source.retained.isEmpty)
        #expect(source.indexBytesRead == UInt64(bytes.count))
        // Whole reads are capped (16 MiB by default) before anything is allocated.
        let member = try #require(try source.image(named: "pages-1.img"))
        let read = try #require(archiveError { try source.read(member) })
        #expect(read.code == .tooLarge)
        #expect(read.member == Self.bombMember)
        #expect(peakResidentBytes() < 4 << 30)
    }
}
