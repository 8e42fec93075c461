import CheckpointAnalysis
import CRIUImages
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where command output goes, and the error convention: `ckpt-inspect: <file>: <problem>` on stderr.
/// Both erase a progress line first (``ProgressLine``), so output never lands after one.
enum Output {
    static func write(_ text: String) {
        ProgressLine.standardError.erase()
        var text = text
        text.withUTF8 { writeAll(UnsafeRawBufferPointer($0)) }  // no copy of a large output
    }

    /// A JSON document and a newline, written as it is serialised (never held whole as text).
    static func write(json: JSONValue, pretty: Bool = true) {
        ProgressLine.standardError.erase()
        json.write(pretty: pretty) { bytes in writeAll(bytes) }
        [UInt8(0x0A)].withUnsafeBytes { writeAll($0) }
    }

    /// A JSON object whose member `key` is an array of `count` items made one at a time by `item`
    /// (in `document`, that member is a placeholder): each item is written and dropped before the
    /// next is made. The bytes are those of the document with the array in place.
    static func write(json document: JSONValue, streaming key: String, count: Int, item: (Int) -> JSONValue) {
        ProgressLine.standardError.erase()
        var writer = JSONStreamWriter { bytes in writeAll(bytes) }
        writer.beginObject()
        for (name, value) in document.objectPairs ?? [] {
            guard name == key else { writer.value(value, key: name); continue }
            writer.beginArray(key: name)
            for i in 0..<count { writer.value(item(i)) }
            writer.end()
        }
        writer.finish()
        [UInt8(0x0A)].withUnsafeBytes { writeAll($0) }
    }

    /// Writes every byte to stdout (a closed pipe ends the write quietly: SIGPIPE's default ends the process).
    private static func writeAll(_ bytes: UnsafeRawBufferPointer) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(1, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 { if errno == EINTR { continue }; return }
            done += n
        }
    }

    static func write(_ data: Data) {
        ProgressLine.standardError.erase()
        data.withUnsafeBytes { writeAll($0) }
    }

    /// Control characters in the message (a crafted path or member name) are escaped, line by line.
    static func error(_ text: String) {
        ProgressLine.standardError.erase()
        let safe = RawPath.display(text).split(separator: "\n", omittingEmptySubsequences: false).map { Terminal.safe(String($0)) }
        FileHandle.standardError.write(Data(("ckpt-inspect: " + safe.joined(separator: "\n") + "\n").utf8))
    }
}

/// A failure the command already reported; carries the exit code.
struct Failure: Error {
    var code: Int32
}

extension ExitCode {
    /// Bad data: the input could not be read as what it claims to be.
    static let badData = ExitCode(1)
    /// Usage: missing files, wrong arguments.
    static let usage = ExitCode(2)
}

/// Reads a whole (small) file the user named, distinguishing the usage errors; `directoryHint`
/// says what to do instead when `path` is a directory.
func readUserFile(_ path: String, directoryHint: String = "a file is expected here") throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    let file = RawPath.resolve(path)
    guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
        Output.error("\(path): no such file")
        throw ExitCode.usage
    }
    if isDirectory.boolValue {
        Output.error("\(path): is a directory (\(directoryHint))")
        throw ExitCode.usage
    }
    guard let data = FileManager.default.contents(atPath: file) else {
        Output.error("\(path): cannot be read")
        throw ExitCode.usage
    }
    return [UInt8](data)
}

import ArgumentParser

/// `1 process`, `2 processes`: ``CheckpointAnalysis/plural(_:_:_:)``, the one rule of the analyses'
/// messages and the tool's output.
func plural<N: BinaryInteger>(_ count: N, _ noun: String, _ plural: String? = nil) -> String {
    CheckpointAnalysis.plural(count, noun, plural)
}
