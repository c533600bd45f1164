import LogoutCore

/// Aligned text tables for a terminal: colours when it is one, none when the output is piped.
public struct Table: Sendable {
    public enum Style: Sendable {
        case plain, good, warning, bad, dim
    }

    public struct Cell: Sendable, ExpressibleByStringLiteral {
        public var text: String
        public var style: Style

        public init(_ text: String, _ style: Style = .plain) {
            self.text = SafeText.printable(text, limit: 120)
            self.style = style
        }

        public init(stringLiteral value: String) { self.init(value) }
    }

    public var columns: [String]
    public var rows: [[Cell]] = []

    public init(_ columns: [String]) {
        self.columns = columns
    }

    public mutating func add(_ row: [Cell]) {
        rows.append(row)
    }

    public func render(colors: Bool) -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.text.count)
            }
        }
        func line(_ cells: [Cell], header: Bool) -> String {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let padded =
                    index == cells.count - 1
                    ? cell.text : cell.text + String(repeating: " ", count: widths[index] - cell.text.count)
                parts.append(colors ? Self.paint(padded, header ? .dim : cell.style) : padded)
            }
            return parts.joined(separator: "  ")
        }
        var lines = [line(columns.map { Cell($0) }, header: true)]
        lines += rows.map { line($0, header: false) }
        return lines.joined(separator: "\n")
    }

    static func paint(_ text: String, _ style: Style) -> String {
        let code: String
        switch style {
        case .plain: return text
        case .good: code = "32"
        case .warning: code = "33"
        case .bad: code = "31"
        case .dim: code = "2"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
