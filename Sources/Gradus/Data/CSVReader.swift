/// A table read from a CSV file: numeric feature columns and one target column.
///
/// ```swift
/// let table = try CSVReader.read("houses.csv", targetColumn: "price")
/// let data = TensorDataset(table.features, table.targets)
/// ```
public struct CSVTable: Sendable {
    /// The features, `[rows, featureNames.count]`.
    public let features: Tensor
    /// The target column, `[rows]`.
    public let targets: Tensor
    /// The names of the feature columns, in file order (the target column removed).
    public let featureNames: [String]
    /// The name of the target column.
    public let targetName: String
}

/// A reader of comma-separated files with a header row and numeric cells.
///
/// Fields may be quoted (`"1,5"` with `""` for a quote); blank lines are skipped; `\r\n` line ends are
/// accepted. A row with the wrong number of cells, or a cell that is not a finite number, throws a
/// ``DataError`` with the file, the line number (the header is line 1) and the column number and name.
///
/// ```swift
/// let table = try CSVReader.read("iris.csv", targetColumn: "species", targetDType: .int64)
/// ```
public enum CSVReader {
    /// Reads a CSV file (raw or gzip).
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - targetColumn: the header name of the target column.
    ///   - dtype: the feature type (float32 or float64).
    ///   - targetDType: the target type; `int64` requires whole-number targets (class labels).
    ///   - separator: the field separator.
    ///   - maxBytes: the largest file size accepted.
    ///
    /// ```swift
    /// let t = try CSVReader.read("data.csv", targetColumn: "y")
    /// ```
    public static func read(_ path: String, targetColumn: String, dtype: DType = .float32,
                            targetDType: DType = .float32, separator: Character = ",",
                            maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> CSVTable {
        let text = try self.text(of: path, maxBytes: maxBytes)
        return try parse(text, file: path, targetColumn: targetColumn, dtype: dtype, targetDType: targetDType,
                         separator: separator)
    }

    /// The UTF-8 text of a (possibly gzip-compressed) regular file, without a leading byte-order mark.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - maxBytes: the largest size accepted, compressed or decompressed.
    /// - Throws: ``DataError`` for a missing, special, oversized or non-UTF-8 file.
    ///
    /// ```swift
    /// let text = try CSVReader.text(of: "data.csv", maxBytes: 1 << 20)
    /// ```
    public static func text(of path: String, maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> String {
        var bytes = try Gzip.readMaybeCompressed(path, maxBytes: maxBytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DataError(.parse, file: path, "the file is not valid UTF-8 text")
        }
        return text
    }

    /// A number written in decimal (`-1.5`, `2e-3`, `7`): Swift's `Double(String)` stops at a NUL byte
    /// and reads `"1\0abc"` as 1, and accepts hexadecimal and `nan`; data cells get neither.
    static func strictNumber(_ s: String) -> Double? {
        guard !s.isEmpty, s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 45 || $0 == 46 || $0 == 69 || $0 == 101 }),
              let v = Double(s), v.isFinite else { return nil }
        return v
    }

    /// Parses CSV text; `file` names it in errors.
    ///
    /// ```swift
    /// let t = try CSVReader.parse("a,b,y\n1,2,0\n3,4,1\n", file: "inline", targetColumn: "y")
    /// ```
    public static func parse(_ text: String, file: String, targetColumn: String, dtype: DType = .float32,
                             targetDType: DType = .float32, separator: Character = ",") throws -> CSVTable {
        try require(dtype.isFloatingPoint, "CSVReader: features must be float32 or float64, not \(dtype)", .dtypeMismatch)
        var header: [String]? = nil
        var targetIndex = 0
        var features: [Double] = []
        var targets: [Double] = []
        var rows = 0
        var lineNumber = 0
        let text = text.first == "\u{FEFF}" ? Substring(text.dropFirst()) : Substring(text)
        // "\r\n" is a single Character in Swift, so both line ends are separators.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = Substring(rawLine)
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let cells = try splitCells(line, separator: separator, file: file, line: lineNumber)
            guard let names = header else {
                let trimmed = cells.map { $0.trimmingSpaces() }
                guard let t = trimmed.firstIndex(of: targetColumn) else {
                    throw DataError(.parse, file: file,
                                    "line \(lineNumber): no column named \"\(targetColumn)\" in the header \(trimmed)")
                }
                guard trimmed.count >= 2 else {
                    throw DataError(.parse, file: file, "line \(lineNumber): the header needs a target and at least one feature column")
                }
                var seen = Set<String>()
                if let duplicate = trimmed.first(where: { !seen.insert($0).inserted }) {
                    throw DataError(.parse, file: file, "line \(lineNumber): the column name \"\(duplicate.prefix(60))\" appears more than once in the header")
                }
                header = trimmed
                targetIndex = t
                continue
            }
            guard cells.count == names.count else {
                throw DataError(.parse, file: file,
                                "line \(lineNumber) has \(cells.count) cells, the header has \(names.count) columns")
            }
            for (c, cell) in cells.enumerated() {
                let s = cell.trimmingSpaces()
                guard let v = strictNumber(s), dtype == .float64 || abs(v) <= Double(Float.greatestFiniteMagnitude) else {
                    // Quote at most 40 characters: a 16 MB cell in a message made the error printing itself slow.
                    let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
                    throw DataError(.parse, file: file,
                                    "line \(lineNumber), column \(c + 1) (\"\(names[c].prefix(60))\"): \"\(shown.debugDescription.dropFirst().dropLast())\" is not a finite \(dtype) number")
                }
                if c == targetIndex {
                    if targetDType == .int64 && (v.rounded() != v || abs(v) > 9.0e15) {
                        throw DataError(.parse, file: file,
                                        "line \(lineNumber), column \(c + 1) (\"\(names[c])\"): \"\(s)\" is not a whole-number label")
                    }
                    targets.append(v)
                } else {
                    features.append(v)
                }
            }
            rows += 1
        }
        guard let names = header else { throw DataError(.parse, file: file, "the file has no header row") }
        guard rows > 0 else { throw DataError(.parse, file: file, "the file has a header but no data rows") }
        var featureNames = names
        featureNames.remove(at: targetIndex)
        let x = Tensor(shape: [rows, featureNames.count], values: features, dtype: dtype)
        let y = targetDType == .int64
            ? Tensor(shape: [rows], integers: targets.map { Int($0) })
            : Tensor(shape: [rows], values: targets, dtype: targetDType)
        return CSVTable(features: x, targets: y, featureNames: featureNames, targetName: targetColumn)
    }

    /// Splits one line into cells, honouring double quotes.
    static func splitCells(_ line: Substring, separator: Character, file: String, line number: Int) throws -> [String] {
        var cells: [String] = []
        var current = ""
        var inQuotes = false
        var afterQuote = false
        var iterator = line.makeIterator()
        var pending: Character? = nil
        while let ch = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if ch == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else { inQuotes = false; afterQuote = true; pending = next }
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.append(ch)
                }
            } else if ch == separator {
                cells.append(current)
                current = ""
                afterQuote = false
            } else if ch == "\"" && current.allSatisfy({ $0 == " " }) && !afterQuote {
                inQuotes = true
                current = ""
            } else {
                current.append(ch)
            }
        }
        guard !inQuotes else {
            throw DataError(.parse, file: file, "line \(number): a quoted field is not closed")
        }
        cells.append(current)
        return cells
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
