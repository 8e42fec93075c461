import Foundation

/// A plain text table: columns padded to their widest cell, optionally fitted to the terminal width
/// by truncating the widest column.
struct Table {
    var headers: [String]
    var rows: [[String]] = []
    /// Columns aligned right (numbers).
    var rightAligned: Set<Int> = []

    func render(maxWidth: Int? = Terminal.width, style: Style = Style(.never)) -> String {
        let columns = headers.count
        var widths = headers.map { Terminal.displayWidth($0) }
        for row in rows {
            for (i, cell) in row.enumerated() where i < columns { widths[i] = max(widths[i], Terminal.displayWidth(cell)) }
        }
        if let maxWidth {
            var total = widths.reduce(0, +) + 2 * (columns - 1)
            while total > maxWidth {
                guard let widest = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[widest] > 8 else { break }
                widths[widest] -= 1
                total -= 1
            }
        }
        func line(_ cells: [String]) -> String {
            var out: [String] = []
            for i in 0..<columns {
                var cell = i < cells.count ? cells[i] : ""
                if Terminal.displayWidth(cell) > widths[i] { cell = String(cell.prefix(max(0, widths[i] - 1))) + "…" }
                let pad = String(repeating: " ", count: max(0, widths[i] - Terminal.displayWidth(cell)))
                out.append(rightAligned.contains(i) ? pad + cell : (i == columns - 1 ? cell : cell + pad))
            }
            return out.joined(separator: "  ")
        }
        return ([style.bold(line(headers))] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}

enum Terminal {
    /// The terminal's width when stdout is a terminal; nil otherwise (no fitting when piped).
    static var width: Int? {
        guard isatty(STDOUT_FILENO) != 0 else { return nil }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(columns) { return n }
        return 80
    }

    static func displayWidth(_ s: String) -> Int { s.count }

    /// ``safe(_:)`` for text whose tabs are layout (log lines, firewall rules): tabs become spaces to
    /// the next multiple of 8 columns instead of a literal `\t`.
    static func safeText(_ s: String) -> String {
        guard s.contains("\t") else { return safe(s) }
        var out = ""
        var column = 0
        for c in s {
            if c == "\t" {
                let n = 8 - column % 8
                out += String(repeating: " ", count: n)
                column += n
            } else {
                out.append(c)
                column = c == "\n" ? 0 : column + 1
            }
        }
        return safe(out)
    }

    /// Escapes control characters and other unsafe scalars so a crafted name cannot drive the terminal.
    static func safe(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x20..<0x7F: out.unicodeScalars.append(scalar)
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0xFFFD: out += "\\u{fffd}"
            case 0..<0x20, 0x7F..<0xA0, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                out += scalar.value < 0x100 ? "\\x" + String(format: "%02x", scalar.value) : "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Human-readable sizes: 1.5 KiB, 20.0 MiB; exact bytes with `--bytes`.
enum Size {
    static func text(_ bytes: UInt64, exact: Bool = false) -> String {
        if exact || bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: value >= 100 ? "%.0f %@" : "%.1f %@", value, units[unit])
    }
}
