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

    /// Opens `bytes` (a path that is not UTF-8) with `O_PATH` and returns its alias and whether
    /// this call opened it (false: the display form was registered before), or nil when nothing is
    /// there or `followLinks` is false and the name is a symbolic link.
    static func alias(bytes: [UInt8], display: String, followLinks: Bool = true) -> (alias: String, opened: Bool)? {
        if let known = names.withLock({ $0.toAlias[display] }) { return (known, false) }
        let fd = (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                open($0.baseAddress!, Self.pathOnly | O_CLOEXEC | (followLinks ? 0 : O_NOFOLLOW))
            }
        }
        guard fd >= 0 else { return nil }
        var st = stat()
        if !followLinks, fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) == S_IFLNK {
            close(fd)
            return nil
        }
        let alias = "/proc/self/fd/\(fd)"
        names.withLock {
            $0.toDisplay[alias] = display
            $0.toAlias[display] = alias
        }
        return (alias, true)
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

    /// The registered display form that `path` is or starts with (`DIR/checkpoint/x.img`), the
    /// longest when several are.
    private static func registered(_ path: String, in table: [String: String]) -> String? {
        if table[path] != nil { return path }
        return table.keys.filter { path.hasPrefix($0 + "/") }.max { $0.count < $1.count }
    }

    /// The path to open for a path a command was given: the alias of a display form this process
    /// registered (also when it is a prefix), else the path itself.
    static func resolve(_ path: String) -> String {
        names.withLock { table in
            guard !table.toAlias.isEmpty, let display = registered(path, in: table.toAlias) else { return path }
            return table.toAlias[display]! + path.dropFirst(display.count)
        }
    }

    /// Whether `path` goes through a name that is not UTF-8 (an output path may not: it would be
    /// created under its display form, another name).
    static func isRaw(_ path: String) -> Bool {
        names.withLock { registered(path, in: $0.toAlias) != nil }
    }

    /// `text` with every alias replaced by its display form. An alias is matched whole:
    /// `/proc/self/fd/3` is not read out of `/proc/self/fd/31`.
    static func display(_ text: String) -> String {
        names.withLock { table in
            let marker = "/proc/self/fd/"
            guard !table.toDisplay.isEmpty, text.contains(marker) else { return text }
            var out = ""
            var rest = text[...]
            while let found = rest.range(of: marker) {
                out += rest[..<found.lowerBound]
                let digits = rest[found.upperBound...].prefix { $0.isASCII && $0.isNumber }
                let candidate = String(rest[found.lowerBound..<digits.endIndex])
                out += table.toDisplay[candidate] ?? candidate
                rest = rest[digits.endIndex...]
            }
            return out + rest
        }
    }

    /// The command line without the program name, every argument that is not UTF-8 in its display
    /// form with the file it names registered. Nil (after an error message) when such an argument
    /// names no existing file (it cannot be passed on without changing its meaning), or when its
    /// display form is also given as a UTF-8 argument (two files would go by one name).
    static func commandLine() -> [String]? {
        var arguments: [String] = []
        var shownAt: [String: Int] = [:]
        var rawAt = Set<Int>()
        for i in stride(from: 1, to: Int(CommandLine.argc), by: 1) {
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
            shownAt[shown] = i
            rawAt.insert(i)
            arguments.append(String(decoding: prefix, as: UTF8.self) + shown)
        }
        for (k, argument) in arguments.enumerated() where !rawAt.contains(k + 1) {
            let value = argument.hasPrefix("--") ? String(argument.drop { $0 != "=" }.dropFirst()) : argument
            if let i = shownAt[value] ?? shownAt[argument] {
                Output.error("argument \(k + 1) is the display form of argument \(i), a name that is not UTF-8; rename one of the two files")
                return nil
            }
        }
        return arguments
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
