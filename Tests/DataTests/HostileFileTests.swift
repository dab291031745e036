import Foundation
import Gradus
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Data from files that is hostile or merely unusual: each is refused with an error naming the problem
/// (or, when valid, read as meant), before anything is allocated from it.
@Suite("Hostile and unusual data files")
struct HostileFileTests {
    private func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-hostile-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a FIFO, a folder and a device are refused at once, naming what they are")
    func specialFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gradus-fifo-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let fifo = dir.appendingPathComponent("data.csv").path
        unlink(fifo)
        #expect(mkfifo(fifo, 0o600) == 0)
        let start = Date()
        for (path, kind) in [(fifo, "FIFO"), (dir.path, "folder"), ("/dev/zero", "character device")] {
            do {
                _ = try CSVReader.read(path, targetColumn: "y")
                Issue.record("\(path) was read")
            } catch let error as DataError {
                #expect(error.message.contains(kind) && error.file == path, "\(error)")
            }
        }
        #expect(Date().timeIntervalSince(start) < 5)
        unlink(fifo)
    }

    @Test("CSV: a byte-order mark is not part of the first name; NUL, hexadecimal and empty data are refused")
    func csvStrictness() throws {
        let bom = try CSVReader.parse("\u{FEFF}a,y\n1,0\n2,1\n", file: "bom.csv", targetColumn: "y")
        #expect(bom.featureNames == ["a"])
        let bomFile = try temporaryFile("bom.csv", [0xEF, 0xBB, 0xBF] + Array("a,y\n1,0\n".utf8))
        #expect(try CSVReader.read(bomFile, targetColumn: "y").featureNames == ["a"])
        for (text, fragment) in [("a,y\n1\u{0}abc,0\n", "not a finite float32 number"), ("a,y\n0x10,0\n", "not a finite float32 number"),
                                 ("a,y\nnan,0\n", "not a finite float32 number"), ("a,y\n1e999,0\n", "not a finite float32 number"),
                                 ("a,y\n1e300,0\n", "not a finite float32 number"), ("a,a,y\n1,2,0\n", "appears more than once"),
                                 ("a,y\n", "no data rows"), ("a,y\n\n  \n", "no data rows")] {
            do {
                _ = try CSVReader.parse(text, file: "bad.csv", targetColumn: "y")
                Issue.record("\(text.debugDescription) was read")
            } catch let error as DataError {
                #expect(error.message.contains(fragment), "\(text.debugDescription): \(error)")
            }
        }
    }

    @Test("classification labels: the class count comes from all the data; negative and huge labels are refused")
    func labelPolicy() throws {
        let x = Tensor.zeros([2, 3])
        let onlyInTest = try LoadedData(train: TensorDataset(x, Tensor(labels: [0, 1])), test: TensorDataset(x, Tensor(labels: [2, 0])),
                                        imageShape: nil, featureNames: nil, task: .classify, source: "s")
        #expect(onlyInTest.classes == 3)
        for bad in [-1, -100, LoadedData.maxClasses, 100_000_000] {
            #expect(throws: TrainingError.self) {
                _ = try LoadedData(train: TensorDataset(x, Tensor(labels: [0, 1])), test: TensorDataset(x, Tensor(labels: [bad, 0])),
                                   imageShape: nil, featureNames: nil, task: .classify, source: "s")
            }
        }
    }

    @Test("a zip entry stops inflating at its declared size")
    func zipEntryPastDeclaredSize() throws {
        // A final stored deflate block of 300 bytes in an entry that declares 200.
        let payload = [UInt8](repeating: 7, count: 300)
        let block: [UInt8] = [0x01, 0x2C, 0x01, 0xD3, 0xFE] + payload
        let archive = oneEntryZip(name: "x.npy", method: 8, data: block, uncompressedSize: 200)
        do {
            _ = try NPZReader.decode(archive, file: "past.npz")
            Issue.record("read")
        } catch let error as DataError {
            #expect(error.kind == .corrupt && error.message.contains("past its declared size of 200"), "\(error)")
        }
    }

    @Test("the memory budget bounds what files may decode to")
    func memoryBudget() throws {
        // A budget of this thread's own: tests reading larger files beside this one keep the default.
        try MemoryBudget.withBudget(4 << 20) { try shrunkBudget() }
        #expect(MemoryBudget.bytes != 4 << 20)   // the scope ended
    }

    func shrunkBudget() throws {
        #expect(ReaderLimits.defaultMaxBytes == 2 << 20)
        let big = try temporaryFile("big.csv", Array("a,y\n".utf8) + [UInt8](repeating: 0x20, count: 3 << 20))
        do {
            _ = try CSVReader.read(big, targetColumn: "y")
            Issue.record("read")
        } catch let error as DataError {
            #expect(error.kind == .tooLarge, "\(error)")
        }
        #expect(throws: DataError.self) { try MemoryBudget.check(5 << 20, for: "a test", source: "--flag") }
        #expect(throws: DataError.self) { try MemoryBudget.check(nil, for: "a test", source: "--flag") }
    }
}
