import ArgumentParser
import Foundation

/// When to colour output.
enum ColorMode: String, OptionChoice {
    case auto, always, never
}

/// ANSI styling, on only when asked or when stdout is a terminal and NO_COLOR is unset.
struct Style {
    let enabled: Bool

    init(_ mode: ColorMode) {
        switch mode {
        case .always: enabled = true
        case .never: enabled = false
        case .auto:
            enabled = isatty(STDOUT_FILENO) != 0 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
                && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        }
    }

    private func wrap(_ code: String, _ text: String) -> String { enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func bold(_ s: String) -> String { wrap("1", s) }
    func dim(_ s: String) -> String { wrap("2", s) }
    func red(_ s: String) -> String { wrap("31", s) }
    func green(_ s: String) -> String { wrap("32", s) }
    func yellow(_ s: String) -> String { wrap("33", s) }
    func blue(_ s: String) -> String { wrap("34", s) }
    func cyan(_ s: String) -> String { wrap("36", s) }
}
