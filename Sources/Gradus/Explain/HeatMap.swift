import Foundation

/// Pictures of attributions (``Explain``) or any per-feature values: an SVG heat map of an `H×W` grid,
/// an SVG bar chart per feature, and the same in a terminal with ANSI colours or ASCII shades.
///
/// Colours are diverging: red for positive, blue for negative, white for 0, scaled by the largest
/// magnitude.
///
/// ```swift
/// let ig = Explain.integratedGradients(model: model, input: x, classIndex: 3)
/// let svg = HeatMap.svg(panels: [("input", x.scalars(as: Double.self)), ("IG", ig.scalars(as: Double.self))],
///                       grid: [8, 8], title: "digit 3")
/// print(HeatMap.terminal(ig.scalars(as: Double.self), grid: [8, 8], color: true))
/// ```
public enum HeatMap {
    /// An SVG with one panel per named vector: a `grid` heat map when `grid` (`[height, width]`) is
    /// given, otherwise a horizontal bar chart with one bar per feature.
    ///
    /// - Parameters:
    ///   - panels: named vectors of equal length.
    ///   - grid: `[height, width]` for image data, or nil.
    ///   - featureNames: bar labels for tabular data (default `x0`, `x1`, …).
    ///   - title: a title line.
    /// - Returns: a complete SVG document.
    ///
    /// ```swift
    /// let svg = HeatMap.svg(panels: [("saliency", s)], grid: nil, featureNames: ["x", "z"], title: "row 4")
    /// ```
    public static func svg(panels: [(name: String, values: [Double])], grid: [Int]?, featureNames: [String]? = nil,
                           title: String) -> String {
        var body = "<text x=\"10\" y=\"24\" font-size=\"16\" font-weight=\"bold\">\(MetricsPlot.escape(title))</text>\n"
        var x = 10.0, height = 40.0
        for panel in panels {
            let (svg, w, h) = drawnGrid(grid, count: panel.values.count).map { gridPanel(panel.name, panel.values, grid: $0, left: x, top: 40) }
                ?? barPanel(panel.name, panel.values, names: featureNames, left: x, top: 40)
            body += svg
            x += w + 20
            height = Swift.max(height, 40 + h)
        }
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(x))" height="\(Int(height + 10))" font-family="sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        \(body)</svg>

        """
    }

    /// Several SVG documents of ``svg(panels:grid:featureNames:title:)`` stacked top to bottom in one
    /// document (one row per input of a several-input model).
    ///
    /// ```swift
    /// let page = HeatMap.stack([imageSVG, featuresSVG])
    /// ```
    public static func stack(_ documents: [String]) -> String {
        func size(_ doc: String, _ key: String) -> Int {
            guard let r = doc.range(of: " \(key)=\"") else { return 0 }
            return Int(doc[r.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        var body = "", y = 0, width = 0
        for doc in documents {
            guard let start = doc.range(of: "<svg ") else { continue }
            let element = "<svg y=\"\(y)\" " + doc[start.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            body += element + "\n"
            y += size(doc, "height")
            width = Swift.max(width, size(doc, "width"))
        }
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(y)" font-family="sans-serif">
        \(body)</svg>

        """
    }

    /// A diverging colour for `v` in [-1, 1]: blue, white, red.
    static func color(_ v: Double) -> (r: Int, g: Int, b: Int) {
        let t = Swift.max(-1, Swift.min(1, v.isFinite ? v : 0))
        let fade = Int((1 - abs(t)) * 255)
        return t >= 0 ? (255, fade, fade) : (fade, fade, 255)
    }

    static func scale(_ values: [Double]) -> Double {
        let m = values.map { abs($0) }.filter(\.isFinite).max() ?? 0
        return m > 0 ? m : 1
    }

    /// `grid` as `[height, width]` when it is two sizes ≥ 1, cut to the rows that `count` values reach
    /// (and, when they fill less than one row, to their number of columns); nil otherwise (the values
    /// are drawn as bars).
    static func drawnGrid(_ grid: [Int]?, count: Int) -> [Int]? {
        guard let grid, grid.count == 2, grid[0] >= 1, grid[1] >= 1 else { return nil }
        let rows = Swift.min(grid[0], count / grid[1] + (count % grid[1] == 0 ? 0 : 1))
        return [rows, rows <= 1 ? Swift.min(grid[1], Swift.max(count, 1)) : grid[1]]
    }

    static func gridPanel(_ name: String, _ values: [Double], grid: [Int], left: Double, top: Double) -> (String, Double, Double) {
        let (h, w) = (grid[0], grid[1])
        let cell = Swift.max(4.0, Swift.min(32.0, 280.0 / Double(Swift.max(h, w))))
        let m = scale(values)
        var s = "<text x=\"\(left)\" y=\"\(top + 12)\" font-size=\"13\">\(MetricsPlot.escape(name)) (max |v| \(String(format: "%.3g", m)))</text>\n"
        let y0 = top + 20
        for i in 0..<h {
            for j in 0..<Swift.min(w, values.count - i * w) {
                let c = color(values[i * w + j] / m)
                s += "<rect x=\(q(left + Double(j) * cell)) y=\(q(y0 + Double(i) * cell)) width=\(q(cell)) height=\(q(cell)) fill=\"rgb(\(c.r),\(c.g),\(c.b))\"/>\n"
            }
        }
        s += "<rect x=\(q(left)) y=\(q(y0)) width=\(q(Double(w) * cell)) height=\(q(Double(h) * cell)) fill=\"none\" stroke=\"#666\"/>\n"
        let (bar, barHeight) = colorBar(left: left, top: y0 + Double(h) * cell + 8, width: Swift.max(Double(w) * cell, 160), limit: m)
        s += bar
        return (s, Swift.max(Double(w) * cell, 160), 28 + Double(h) * cell + barHeight)
    }

    /// A horizontal colour bar from −limit (blue) through 0 (white) to +limit (red), with its labels.
    static func colorBar(left: Double, top: Double, width: Double, limit: Double) -> (String, Double) {
        let steps = 21
        var s = ""
        for k in 0..<steps {
            let v = -1 + 2 * Double(k) / Double(steps - 1)
            let c = color(v)
            s += "<rect x=\(q(left + Double(k) * width / Double(steps))) y=\(q(top)) width=\(q(width / Double(steps) + 0.5)) height=\"10\" fill=\"rgb(\(c.r),\(c.g),\(c.b))\"/>\n"
        }
        s += "<rect x=\(q(left)) y=\(q(top)) width=\(q(width)) height=\"10\" fill=\"none\" stroke=\"#666\" stroke-width=\"0.5\"/>\n"
        let label = String(format: "%.3g", limit)
        s += "<text x=\(q(left)) y=\(q(top + 22)) font-size=\"10\">-\(label)</text>\n"
        s += "<text x=\(q(left + width / 2)) y=\(q(top + 22)) font-size=\"10\" text-anchor=\"middle\">0</text>\n"
        s += "<text x=\(q(left + width)) y=\(q(top + 22)) font-size=\"10\" text-anchor=\"end\">\(label)</text>\n"
        return (s, 26)
    }

    static func barPanel(_ name: String, _ values: [Double], names: [String]?, left: Double, top: Double) -> (String, Double, Double) {
        let m = scale(values)
        let labelWidth = 110.0, half = 120.0, row = 18.0
        let mid = left + labelWidth + half
        var s = "<text x=\"\(left)\" y=\"\(top + 12)\" font-size=\"13\">\(MetricsPlot.escape(name)) (max |v| \(String(format: "%.3g", m)))</text>\n"
        let y0 = top + 22
        for (i, v) in values.enumerated() {
            let y = y0 + Double(i) * row
            let len = (v.isFinite ? v : 0) / m * half
            let c = color(v / m)
            let label = names.flatMap { i < $0.count ? $0[i] : nil } ?? "x\(i)"
            s += "<text x=\(q(left + labelWidth - 6)) y=\(q(y + 12)) text-anchor=\"end\" font-size=\"11\">\(MetricsPlot.escape(label))</text>\n"
            s += "<rect x=\(q(len >= 0 ? mid : mid + len)) y=\(q(y + 2)) width=\(q(abs(len))) height=\(q(row - 4)) fill=\"rgb(\(c.r),\(c.g),\(c.b))\" stroke=\"#888\" stroke-width=\"0.5\"/>\n"
            s += "<text x=\(q(mid + (len >= 0 ? len + 4 : len - 4))) y=\(q(y + 12)) text-anchor=\"\(len >= 0 ? "start" : "end")\" font-size=\"10\">\(String(format: "%.3g", v))</text>\n"
        }
        s += "<line x1=\(q(mid)) y1=\(q(y0)) x2=\(q(mid)) y2=\(q(y0 + Double(values.count) * row)) stroke=\"black\"/>\n"
        return (s, labelWidth + 2 * half + 40, 22 + Double(values.count) * row)
    }

    static func q(_ v: Double) -> String { "\"" + String(format: "%.2f", v) + "\"" }

    /// The values drawn in a terminal: a `grid` of cells (two characters per cell) or one bar per feature.
    /// With `color`, cells are ANSI 24-bit background colours (red positive, blue negative); without, an
    /// ASCII ramp of the magnitude (` .:-=+*#%@`) and bars of `+`/`-`.
    ///
    /// - Parameters:
    ///   - values: the values.
    ///   - grid: `[height, width]` for image data, or nil for bars (as is a grid that is not two sizes ≥ 1).
    ///   - featureNames: bar labels.
    ///   - color: use ANSI colours.
    /// - Returns: the lines, joined by newlines.
    ///
    /// ```swift
    /// print(HeatMap.terminal(values, grid: [8, 8], color: isatty(1) != 0))
    /// ```
    public static func terminal(_ values: [Double], grid: [Int]?, featureNames: [String]? = nil, color: Bool) -> String {
        let m = scale(values)
        let ramp = Array(" .:-=+*#%@")
        var lines: [String] = []
        if let grid = drawnGrid(grid, count: values.count) {
            let (h, w) = (grid[0], grid[1])
            for i in 0..<h {
                var line = ""
                for j in 0..<Swift.min(w, values.count - i * w) {
                    let v = values[i * w + j] / m
                    if color {
                        let c = self.color(v)
                        line += "\u{1B}[48;2;\(c.r);\(c.g);\(c.b)m  "
                    } else {
                        let k = Swift.min(ramp.count - 1, Int((abs(v.isFinite ? v : 0) * Double(ramp.count - 1)).rounded()))
                        line += String(repeating: ramp[k], count: 2)
                    }
                }
                lines.append(line + (color ? "\u{1B}[0m" : ""))
            }
        } else {
            let width = 30.0
            let labels = values.indices.map { i in featureNames.flatMap { i < $0.count ? $0[i] : nil } ?? "x\(i)" }
            let lw = labels.map(\.count).max() ?? 1
            for (i, raw) in values.enumerated() {
                let v = (raw.isFinite ? raw : 0) / m
                let n = Int((abs(v) * width).rounded())
                let bar = color
                    ? (v >= 0 ? "\u{1B}[31m" : "\u{1B}[34m") + String(repeating: "█", count: n) + "\u{1B}[0m"
                    : String(repeating: v >= 0 ? "+" : "-", count: n)
                let label = String(repeating: " ", count: lw - labels[i].count) + labels[i]
                lines.append("\(label) \(String(format: "% .4e", raw)) \(bar)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
