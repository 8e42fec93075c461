import Foundation
internal import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// File names that are not UTF-8.
///
/// A Linux file name is any bytes; a Swift `String` holds only valid UTF-8 (decoding repairs a
/// stray byte such as 0xFF to U+FFFD, which names another file). Such a name reaches the commands
/// in its **display form**, valid bytes as they are and each invalid byte as `\xNN` (`c\xffd.tar`),
/// so that every message and report names it unambiguously; to read it, the file is opened by
/// its bytes (`O_PATH`) and read through its **alias** `/proc/self/fd/N`, which every path-taking
/// API accepts. ``resolve(_:)`` turns a display form into the alias before a file is opened,
/// ``display(_:)`` the alias (in a path or a message) back into the display form.
enum RawPath {
    /// `O_PATH` (Linux: a descriptor that only names the file, opened without reading it or
    /// needing permission to; Glibc's module does not export the constant).
    static let pathOnly: Int32 = 0o10000000

    /// alias → display form, and display form → alias.
    private static let names = Mutex<(toDisplay: [String: String], toAlias: [String: String])>(([:], [:]))

    /// The display form of a name: valid UTF-8 as it is, each byte outside a valid sequence `\xNN`.
    static func display(bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var out = ""
        var i = 0
        scan: while i < bytes.count {
            // UTF-8 is prefix-free: the shortest valid prefix of 1 to 4 bytes is one scalar.
            for length in 1...min(4, bytes.count - i) {
                if let scalar = String(validating: bytes[i..<(i + length)], as: UTF8.self) {
                    out += scalar
                    i += length
                    continue scan
                }
            }
            out += "\\x" + String(bytes[i], radix: 16).leftPadded(to: 2)
            i += 1
        }
        return out
    }

    /// Opens `bytes` (a path that is not UTF-8) with `O_PATH` and returns its alias, or nil when
    /// nothing is there.
    static func alias(bytes: [UInt8], display: String) -> String? {
        if let known = names.withLock({ $0.toAlias[display] }) { return known }
        let fd = (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, Self.pathOnly | O_CLOEXEC) }
        }
        guard fd >= 0 else { return nil }
        let alias = "/proc/self/fd/\(fd)"
        names.withLock {
            $0.toDisplay[alias] = display
            $0.toAlias[display] = alias
        }
        return alias
    }

    /// Whether `path` is an alias (a link to follow, where other links are not).
    static func isAlias(_ path: String) -> Bool {
        names.withLock { $0.toDisplay[path] != nil }
    }

    /// Closes an alias that is no longer needed (a name `list` passed by).
    static func forget(_ alias: String) {
        let known = names.withLock { table -> Bool in
            guard let display = table.toDisplay.removeValue(forKey: alias) else { return false }
            table.toAlias[display] = nil
            return true
        }
        if known, let fd = Int32(alias.dropFirst("/proc/self/fd/".count)) { close(fd) }
    }

    /// The path to open for a path a command was given: the alias of a display form this process
    /// registered (also when it is a prefix: `DIR/checkpoint/x.img`), else the path itself.
    static func resolve(_ path: String) -> String {
        names.withLock { table in
            guard !table.toAlias.isEmpty else { return path }
            if let alias = table.toAlias[path] { return alias }
            for (display, alias) in table.toAlias where path.hasPrefix(display + "/") {
                return alias + path.dropFirst(display.count)
            }
            return path
        }
    }

    /// `text` with every alias replaced by its display form (longest alias first, so that
    /// `/proc/self/fd/12` is not read as `/proc/self/fd/1` followed by `2`).
    static func display(_ text: String) -> String {
        names.withLock { table in
            guard !table.toDisplay.isEmpty, text.contains("/proc/self/fd/") else { return text }
            var out = text
            for alias in table.toDisplay.keys.sorted(by: { $0.count > $1.count }) {
                out = out.replacingOccurrences(of: alias, with: table.toDisplay[alias]!)
            }
            return out
        }
    }

    /// The command line without the program name, every argument that is not UTF-8 in its display
    /// form with the file it names registered. Nil (after an error message) when such an argument
    /// names no existing file: it cannot be passed on without changing its meaning.
    static func commandLine() -> [String]? {
        var arguments: [String] = []
        for i in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[i] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
            if let text = String(validating: bytes, as: UTF8.self) {
                arguments.append(text)
                continue
            }
            // --option=VALUE: the value is the name.
            var prefix: [UInt8] = []
            var value = bytes[...]
            if bytes.starts(with: [0x2D, 0x2D]), let equals = bytes.firstIndex(of: 0x3D),
               String(validating: bytes[..<equals], as: UTF8.self) != nil {
                prefix = Array(bytes[...equals])
                value = bytes[(equals + 1)...]
            }
            let shown = display(bytes: value)
            guard alias(bytes: Array(value), display: shown) != nil else {
                Output.error("argument \(i): \(shown) is not UTF-8 and names no existing file; only existing files may be named by bytes that are not UTF-8 (a search pattern of such bytes: --hex)")
                return nil
            }
            arguments.append(String(decoding: prefix, as: UTF8.self) + shown)
        }
        return arguments
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
