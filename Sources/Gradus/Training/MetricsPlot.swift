import Foundation

/// A hand-written SVG chart of a training history: a loss panel (training and test loss per epoch)
/// above an accuracy panel (training and test accuracy, classification only), each with axes, ticks,
/// grid lines and a legend. Browsers show the file as is.
///
/// ```swift
/// let svg = MetricsPlot.svg(history, title: "mlp on digits")
/// try svg.write(toFile: "metrics.svg", atomically: true, encoding: .utf8)
/// ```
public enum MetricsPlot {
    /// One line of a panel.
    struct Series {
        let name: String
        let color: String
        let dashed: Bool
        let points: [(x: Double, y: Double)]
    }

    /// Renders the history.
    ///
    /// - Parameters:
    ///   - history: the epochs' metrics.
    ///   - title: the chart's title.
    /// - Returns: a complete SVG document.
    ///
    /// ```swift
    /// let svg = MetricsPlot.svg(run.history, title: "lenet on mnist")
    /// ```
    public static func svg(_ history: [EpochMetrics], title: String) -> String {
        let width = 720.0, panelHeight = 260.0
        let hasAccuracy = history.contains { $0.trainAccuracy != nil || $0.testAccuracy != nil }
        let height = 50 + panelHeight + (hasAccuracy ? panelHeight + 30 : 0) + 20
        func points(_ value: (EpochMetrics) -> Double?) -> [(x: Double, y: Double)] {
            history.compactMap { m in value(m).flatMap { $0.isFinite ? (Double(m.epoch), $0) : nil } }
        }
        var body = ""
        body += "<text x=\"\(width / 2)\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">\(escape(title))</text>\n"
        body += panel(top: 50, width: width, height: panelHeight, yLabel: "loss", percent: false, legendAtBottom: false, series: [
            Series(name: "train loss", color: "#1f77b4", dashed: false, points: points { $0.trainLoss }),
            Series(name: "test loss", color: "#d62728", dashed: true, points: points { $0.testLoss }),
        ])
        if hasAccuracy {
            body += panel(top: 50 + panelHeight + 30, width: width, height: panelHeight, yLabel: "accuracy (%)", percent: true,
                          legendAtBottom: true, series: [
                              Series(name: "train accuracy", color: "#1f77b4", dashed: false, points: points { $0.trainAccuracy.map { $0 * 100 } }),
                              Series(name: "test accuracy", color: "#d62728", dashed: true, points: points { $0.testAccuracy.map { $0 * 100 } }),
                          ])
        }
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        \(body)</svg>

        """
    }

    /// One panel: frame, ticks, grid, lines with markers, axis labels and legend (top right, or bottom
    /// right for rising curves such as accuracy).
    static func panel(top: Double, width: Double, height: Double, yLabel: String, percent: Bool, legendAtBottom: Bool,
                      series: [Series]) -> String {
        let left = 70.0, right = width - 20, bottom = top + height - 40
        let all = series.flatMap(\.points)
        let xMax = Swift.max(1, all.map(\.x).max() ?? 1)
        var yMin = all.map(\.y).min() ?? 0, yMax = all.map(\.y).max() ?? 1
        if percent { yMax = Swift.min(100, yMax) }
        if yMax - yMin < 1e-12 { yMin -= 0.5; yMax += 0.5 }
        let yTicks = niceTicks(yMin, yMax, count: 5)
        yMin = Swift.min(yMin, yTicks.first ?? yMin)
        yMax = Swift.max(yMax, yTicks.last ?? yMax)
        let xTicks = niceTicks(1, xMax, count: 8).filter { $0 >= 1 && $0 == $0.rounded() }
        func px(_ x: Double) -> Double { xMax <= 1 ? (left + right) / 2 : left + (x - 1) / (xMax - 1) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yMin) / (yMax - yMin) * (bottom - top) }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        var s = "<g>\n"
        for t in yTicks {
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(right))\" y2=\"\(f(py(t)))\" stroke=\"#e0e0e0\"/>\n"
            s += "<line x1=\"\(f(left - 5))\" y1=\"\(f(py(t)))\" x2=\"\(f(left))\" y2=\"\(f(py(t)))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\" font-size=\"12\">\(tickLabel(t))</text>\n"
        }
        for t in xTicks {
            s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(bottom))\" x2=\"\(f(px(t)))\" y2=\"\(f(bottom + 5))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(bottom + 18))\" text-anchor=\"middle\" font-size=\"12\">\(tickLabel(t))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 34))\" text-anchor=\"middle\" font-size=\"13\">epoch</text>\n"
        s += "<text x=\"16\" y=\"\(f((top + bottom) / 2))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 16 \(f((top + bottom) / 2)))\">\(escape(yLabel))</text>\n"
        for line in series where !line.points.isEmpty {
            let path = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash)/>\n"
            for p in line.points {
                s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"2.5\" fill=\"\(line.color)\"/>\n"
            }
        }
        // Legend, top right inside the frame.
        let shown = series.filter { !$0.points.isEmpty }
        let legendHeight = Double(shown.count) * 18 + 8
        let lx = right - 150, ly = legendAtBottom ? bottom - 10 - legendHeight : top + 10
        s += "<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"140\" height=\"\(f(legendHeight))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999\"/>\n"
        for (i, line) in shown.enumerated() {
            let y = ly + 16 + Double(i) * 18
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            s += "<line x1=\"\(f(lx + 8))\" y1=\"\(f(y - 4))\" x2=\"\(f(lx + 36))\" y2=\"\(f(y - 4))\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash)/>\n"
            s += "<text x=\"\(f(lx + 42))\" y=\"\(f(y))\" font-size=\"12\">\(escape(line.name))</text>\n"
        }
        return s + "</g>\n"
    }

    /// About `count` round tick values covering [lo, hi].
    static func niceTicks(_ lo: Double, _ hi: Double, count: Int) -> [Double] {
        let span = hi - lo
        guard span > 0, span.isFinite else { return [lo] }
        let raw = span / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var t = floor(lo / step) * step
        while t <= hi + step * 0.5 && ticks.count < 50 {
            ticks.append((t / step).rounded() * step)
            t += step
        }
        return ticks
    }

    static func tickLabel(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: "%g", v)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
