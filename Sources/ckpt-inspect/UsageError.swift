import ArgumentParser
import Foundation

/// A usage error: what the user gave and what is wrong with it, printed as the one line
/// `ckpt-inspect: <what>: <problem>` with exit status 2 (``CkptInspect/main()``).
///
/// `what` names the option and the value as given (`--range zz`), or the argument.
struct UsageError: Error, CustomStringConvertible {
    var what: String
    var problem: String

    init(_ what: String, _ problem: String) {
        self.what = what
        self.problem = problem
    }

    /// An option and its bad value: `--range zz: not START-END in hex`.
    init(option: String, value: String, _ problem: String) {
        self.init("\(option) \(Self.quoted(value))", problem)
    }

    var description: String { "\(what): \(problem)" }

    /// A value as the user typed it; quoted when it would not read as one word.
    static func quoted(_ value: String) -> String {
        value.isEmpty || value.contains(where: { $0.isWhitespace || $0 == "'" }) ? "'" + value + "'" : value
    }
}

/// An option whose value is one of a fixed list. The list is `allCases`: swift-argument-parser
/// prints it in `--help` ("values: ...") and in completions, and ``UsageMessage`` in errors, so the
/// two cannot disagree.
protocol OptionChoice: CaseIterable, RawRepresentable, ExpressibleByArgument where RawValue == String {}

extension OptionChoice {
    /// The values, comma-separated, in declaration order.
    static var choices: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The case named `text`, or the usage error naming `option` and the list.
    static func parse(_ text: String, option: String) throws(UsageError) -> Self {
        guard let value = Self(rawValue: text) else { throw UsageError(option: option, value: text, "not one of: \(choices)") }
        return value
    }
}

/// Value parsers for options (`@Option(transform:)`): each throws the problem in words, which
/// ``UsageMessage`` joins to the option and the value.
enum Parse {
    struct Problem: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A process id: a decimal number that fits in 32 bits.
    static func pid(_ text: String) throws -> UInt32 {
        guard let pid = UInt32(text) else { throw Problem("not a process id (a decimal number)") }
        return pid
    }

    /// A whole decimal number in `range`.
    static func number(_ text: String, in range: ClosedRange<Int>) throws -> Int {
        guard let n = Int(text) else { throw Problem("not a whole number (\(range.lowerBound)...\(range.upperBound))") }
        guard range.contains(n) else { throw Problem("out of range (\(range.lowerBound)...\(range.upperBound))") }
        return n
    }

    /// An address: hex digits, with or without `0x`.
    static func address(_ text: String) throws -> UInt64 {
        guard let a = parseAddress(text) else { throw Problem("not an address (hex digits, e.g. 7f8c00711000 or 0x7f8c00711000)") }
        return a
    }

    /// `START-END` in hex, START < END.
    static func range(_ text: String) throws -> Range<UInt64> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = parseAddress(String(parts[0])), let b = parseAddress(String(parts[1])) else {
            throw Problem("not START-END in hex (e.g. 7f8c00711000-7f8c00713000)")
        }
        guard a < b else { throw Problem("START must be below END") }
        return a..<b
    }

    /// Permission letters: some of r, w, x.
    static func protection(_ text: String) throws -> String {
        guard !text.isEmpty, text.allSatisfy({ "rwx".contains($0) }) else { throw Problem("use the letters r, w and x (e.g. rw, x)") }
        return text
    }

    /// A byte count: decimal, or hex with `0x`.
    static func length(_ text: String) throws -> UInt64 {
        let value = text.lowercased().hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let value else { throw Problem("not a byte count (a number ≥ 0, decimal or hex with 0x)") }
        return value
    }
}

/// swift-argument-parser's own error messages, made into the one-line convention. The parser
/// composes them from a few fixed forms (swift-argument-parser 1.5 to 1.8); a form not recognised
/// is kept, joined into one line.
enum UsageMessage {
    /// The line (without the `ckpt-inspect: ` prefix) for `message`, the parser's text for an error
    /// in `arguments`.
    static func line(_ message: String, arguments: [String]) -> String {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        let command = commandPath(arguments)
        // The value 'V' is invalid for 'NAME <v>'<rest>
        if text.hasPrefix("The value '"), let marker = text.range(of: "' is invalid for '", options: .backwards) {
            let value = String(text[text.index(text.startIndex, offsetBy: 11)..<marker.lowerBound])
            let afterName = text[marker.upperBound...]
            guard let close = afterName.firstIndex(of: "'") else { return oneLine(text) }
            var name = String(afterName[..<close])
            let valueName = name.firstIndex(of: "<").map { String(name[$0...]) }
            if let space = name.firstIndex(of: " ") { name = String(name[..<space]) }
            let rest = afterName[afterName.index(after: close)...]
            let what = name.hasPrefix("-") ? "\(name) \(UsageError.quoted(value))" : UsageError.quoted(value)
            if rest.hasPrefix(": ") {
                return "\(what): " + oneLine(String(rest.dropFirst(2)))
            }
            let values = quotedValues(String(rest))
            if !values.isEmpty { return "\(what): not one of: \(values.joined(separator: ", "))" }
            return "\(what): not a valid \(valueName ?? "value")"
        }
        if text.hasPrefix("Missing value for '") {
            let name = text.dropFirst(19).prefix { $0 != " " && $0 != "'" }
            return "\(name): needs a value"
        }
        if text.hasPrefix("Unknown option '") {
            let name = text.dropFirst(16).prefix { $0 != "'" }
            if let suggestion = text.range(of: "Did you mean '") {
                return "\(name): unknown option; did you mean \(text[suggestion.upperBound...].prefix { $0 != "'" })?"
            }
            return "\(name): unknown option" + (command.isEmpty ? "" : " for \(command.joined(separator: " ")) (see --help)")
        }
        if text.hasPrefix("Unexpected argument '") {
            let value = String(text.dropFirst(21).dropLast())
            if command.isEmpty, arguments.first == value {
                let names = CkptInspect.configuration.subcommands.map { $0._commandName }
                return "\(UsageError.quoted(value)): unknown command; one of: \(names.joined(separator: ", "))"
            }
            return "\(UsageError.quoted(value)): unexpected argument" + (command.isEmpty ? "" : " to \(command.joined(separator: " "))")
        }
        if let range = text.range(of: " unexpected arguments: ") {
            return "\(text[range.upperBound...].replacingOccurrences(of: "'", with: "")): unexpected arguments"
                + (command.isEmpty ? "" : " to \(command.joined(separator: " "))")
        }
        if text.hasPrefix("Missing expected argument '") {
            let name = text.dropFirst(27).prefix { $0 != "'" }
            return "\(command.joined(separator: " ")): missing argument \(name)"
        }
        if text.hasPrefix("Missing one of: ") {
            return "\(command.joined(separator: " ")): missing one of \(text.dropFirst(16).replacingOccurrences(of: "'", with: ""))"
        }
        if text.hasPrefix("The option '"), let end = text.dropFirst(12).firstIndex(of: "'") {
            let name = text[text.index(text.startIndex, offsetBy: 12)..<end]
            return "\(name): takes no value"
        }
        return oneLine(text)
    }

    /// The subcommand names at the start of `arguments` (`["mem", "read"]`).
    static func commandPath(_ arguments: [String]) -> [String] {
        var path: [String] = []
        var commands = CkptInspect.configuration.subcommands
        for argument in arguments {
            guard let match = commands.first(where: { $0._commandName == argument }) else { break }
            path.append(argument)
            commands = match.configuration.subcommands
        }
        return path
    }

    /// `'a', 'b' or 'c'` and `  - a` lists, in order.
    static func quotedValues(_ rest: String) -> [String] {
        guard let start = rest.range(of: "Please provide one of") else { return [] }
        let list = rest[start.upperBound...]
        if list.contains("\n") {
            return list.split(separator: "\n").compactMap { line in
                let t = line.trimmingCharacters(in: .whitespaces)
                return t.hasPrefix("- ") ? String(t.dropFirst(2)) : nil
            }
        }
        return list.split(separator: "'", omittingEmptySubsequences: false).enumerated().compactMap { $0.offset % 2 == 1 ? String($0.element) : nil }
    }

    static func oneLine(_ text: String) -> String {
        text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}
