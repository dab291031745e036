import Foundation

/// A hand-written SVG chart of a study, in the style of ``MetricsPlot``: each trial's validation score
/// as a dot (filled: complete; hollow: pruned, at its last score; a cross on the axis: failed) with the
/// best complete score so far as a step line, against the trial number (top panel) and against the
/// time spent on the study when the trial ended (bottom panel).
///
/// ```swift
/// let svg = StudyPlot.svg(tuner.trials, direction: .maximize, title: "tpe on digits")
/// ```
public enum StudyPlot {
    struct Point {
        let x: Double
        let y: Double?
        let state: Trial.State
    }

    /// Renders the study.
    ///
    /// - Parameters:
    ///   - trials: the trials, in number order.
    ///   - direction: whether higher or lower scores are better (accuracy is shown in %).
    ///   - title: the chart's title.
    /// - Returns: a complete SVG document.
    public static func svg(_ trials: [Trial], direction: StudyDirection, title: String) -> String {
        let width = 720.0, panelHeight = 260.0
        let height = 50 + 2 * panelHeight + 30 + 20
        let percent = direction == .maximize
        let finished = trials.filter { $0.state.isFinished }.sorted { $0.number < $1.number }
        func y(_ t: Trial) -> Double? {
            guard let s = t.score, s.isFinite, t.state != .failed else { return nil }
            return percent ? s * 100 : s
        }
        var elapsed = 0.0
        var byNumber: [Point] = [], byTime: [Point] = []
        for t in finished {
            elapsed += t.seconds
            byNumber.append(Point(x: Double(t.number), y: y(t), state: t.state))
            byTime.append(Point(x: elapsed, y: y(t), state: t.state))
        }
        let yLabel = (percent ? "validation accuracy (%)" : "validation loss")
        var body = "<text x=\"\(width / 2)\" y=\"28\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\">\(MetricsPlot.escape(title))</text>\n"
        body += panel(top: 50, width: width, height: panelHeight, xLabel: "trial", yLabel: yLabel, points: byNumber,
                      direction: direction, wholeX: true)
        body += panel(top: 50 + panelHeight + 30, width: width, height: panelHeight, xLabel: "study time (s)", yLabel: yLabel,
                      points: byTime, direction: direction, wholeX: false)
        return """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif">
        <rect width="100%" height="100%" fill="white"/>
        \(body)</svg>

        """
    }

    /// One panel: frame, ticks, grid, the best-so-far step line, the dots and the legend.
    static func panel(top: Double, width: Double, height: Double, xLabel: String, yLabel: String, points: [Point],
                      direction: StudyDirection, wholeX: Bool) -> String {
        let left = 70.0, right = width - 20, bottom = top + height - 40
        let ys = points.compactMap(\.y)
        var yMin = ys.min() ?? 0, yMax = ys.max() ?? 1
        if yMax - yMin < 1e-12 { yMin -= 0.5; yMax += 0.5 }
        let yTicks = MetricsPlot.niceTicks(yMin, yMax, count: 5)
        yMin = Swift.min(yMin, yTicks.first ?? yMin)
        yMax = Swift.max(yMax, yTicks.last ?? yMax)
        let xMin = 0.0
        var xMax = points.map(\.x).max() ?? 1
        if xMax <= xMin { xMax = xMin + 1 }
        let xTicks = MetricsPlot.niceTicks(xMin, xMax, count: 8).filter { $0 >= xMin && $0 <= xMax && (!wholeX || $0 == $0.rounded()) }
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yMin) / (yMax - yMin) * (bottom - top) }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        var s = "<g>\n"
        for t in yTicks {
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(right))\" y2=\"\(f(py(t)))\" stroke=\"#e0e0e0\"/>\n"
            s += "<line x1=\"\(f(left - 5))\" y1=\"\(f(py(t)))\" x2=\"\(f(left))\" y2=\"\(f(py(t)))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\" font-size=\"12\">\(MetricsPlot.tickLabel(t))</text>\n"
        }
        for t in xTicks {
            s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(bottom))\" x2=\"\(f(px(t)))\" y2=\"\(f(bottom + 5))\" stroke=\"black\"/>\n"
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(bottom + 18))\" text-anchor=\"middle\" font-size=\"12\">\(MetricsPlot.tickLabel(t))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 34))\" text-anchor=\"middle\" font-size=\"13\">\(MetricsPlot.escape(xLabel))</text>\n"
        s += "<text x=\"16\" y=\"\(f((top + bottom) / 2))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 16 \(f((top + bottom) / 2)))\">\(MetricsPlot.escape(yLabel))</text>\n"
        // The best complete score so far, as a step line.
        var steps: [(Double, Double)] = []
        var best: Double? = nil
        for p in points where p.state == .complete {
            guard let y = p.y else { continue }
            if let b = best {
                if direction.isBetter(y, than: b) {
                    steps.append((p.x, b))
                    steps.append((p.x, y))
                    best = y
                }
            } else {
                steps.append((p.x, y))
                best = y
            }
        }
        if let b = best, let last = points.last?.x { steps.append((last, b)) }
        let green = "#2ca02c", blue = "#1f77b4", orange = "#ff7f0e", red = "#d62728"
        if steps.count >= 2 {
            let path = steps.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
            s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(green)\" stroke-width=\"2\"/>\n"
        }
        for p in points {
            switch (p.state, p.y) {
            case (.complete, let y?):
                s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(y)))\" r=\"3.5\" fill=\"\(blue)\"/>\n"
            case (.pruned, let y?):
                s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(y)))\" r=\"3.5\" fill=\"white\" stroke=\"\(orange)\" stroke-width=\"1.5\"/>\n"
            default:
                let cx = px(p.x), cy = bottom - 6
                s += "<path d=\"M\(f(cx - 4)),\(f(cy - 4)) L\(f(cx + 4)),\(f(cy + 4)) M\(f(cx - 4)),\(f(cy + 4)) L\(f(cx + 4)),\(f(cy - 4))\" stroke=\"\(red)\" stroke-width=\"1.5\"/>\n"
            }
        }
        // Legend, bottom right for accuracy (rising), top right for a loss.
        let entries: [(String, String)] = [("complete", blue), ("pruned", orange), ("failed", red), ("best so far", green)]
        let legendHeight = Double(entries.count) * 18 + 8
        let lx = right - 150, ly = direction == .maximize ? bottom - 10 - legendHeight : top + 10
        s += "<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"140\" height=\"\(f(legendHeight))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999\"/>\n"
        for (i, entry) in entries.enumerated() {
            let yy = ly + 16 + Double(i) * 18
            switch entry.0 {
            case "best so far":
                s += "<line x1=\"\(f(lx + 8))\" y1=\"\(f(yy - 4))\" x2=\"\(f(lx + 36))\" y2=\"\(f(yy - 4))\" stroke=\"\(entry.1)\" stroke-width=\"2\"/>\n"
            case "pruned":
                s += "<circle cx=\"\(f(lx + 22))\" cy=\"\(f(yy - 4))\" r=\"3.5\" fill=\"white\" stroke=\"\(entry.1)\" stroke-width=\"1.5\"/>\n"
            case "failed":
                s += "<path d=\"M\(f(lx + 18)),\(f(yy - 8)) L\(f(lx + 26)),\(f(yy)) M\(f(lx + 18)),\(f(yy)) L\(f(lx + 26)),\(f(yy - 8))\" stroke=\"\(entry.1)\" stroke-width=\"1.5\"/>\n"
            default:
                s += "<circle cx=\"\(f(lx + 22))\" cy=\"\(f(yy - 4))\" r=\"3.5\" fill=\"\(entry.1)\"/>\n"
            }
            s += "<text x=\"\(f(lx + 42))\" y=\"\(f(yy))\" font-size=\"12\">\(entry.0)</text>\n"
        }
        return s + "</g>\n"
    }
}
