import Gradus
import GradusTestSupport
import Testing

@Suite struct CSVReaderTests {
    @Test func readsFeaturesAndTargetByName() throws {
        let folder = try temporaryFolder()
        let text = "a, label ,b\r\n1,0,2.5\r\n\r\n-3,1,\"4e-1\"\r\n5,2,6\r\n"
        let path = try writeFile(folder, "t.csv", Array(text.utf8))
        let table = try CSVReader.read(path, targetColumn: "label", targetDType: .int64)
        #expect(table.featureNames == ["a", "b"] && table.targetName == "label")
        #expect(table.features.shape == [3, 2] && table.features.scalars() == [1, 2.5, -3, 0.4, 5, 6])
        #expect(table.targets.dtype == .int64 && table.targets.intScalars == [0, 1, 2])
        let regression = try CSVReader.parse("x,y\n1,0.5\n2,1.5\n", file: "inline", targetColumn: "y", dtype: .float64)
        #expect(regression.features.dtype == .float64 && regression.targets.scalars() == [0.5, 1.5])
        let quoted = try CSVReader.parse("\"x,1\",y\n\"1\",\"2\"\n", file: "q", targetColumn: "y")
        #expect(quoted.featureNames == ["x,1"] && quoted.features.scalars() == [1])
    }

    @Test func rejectsRaggedRowsAndBadCells() throws {
        let folder = try temporaryFolder()
        let ragged = try writeFile(folder, "ragged.csv", Array("a,b,y\n1,2,3\n4,5\n".utf8))
        expectDataError(.parse, file: "ragged.csv", mentions: ["line 3", "2 cells", "3 columns"]) {
            _ = try CSVReader.read(ragged, targetColumn: "y")
        }
        let text = try writeFile(folder, "text.csv", Array("a,b,y\n1,2,3\n4,abc,6\n".utf8))
        expectDataError(.parse, file: "text.csv", mentions: ["line 3", "column 2", "\"b\"", "abc"]) {
            _ = try CSVReader.read(text, targetColumn: "y")
        }
        let empty = try writeFile(folder, "empty.csv", Array("a,b,y\n1,,3\n".utf8))
        expectDataError(.parse, file: "empty.csv", mentions: ["line 2", "column 2"]) { _ = try CSVReader.read(empty, targetColumn: "y") }
        let nan = try writeFile(folder, "nan.csv", Array("a,y\nnan,1\n".utf8))
        expectDataError(.parse, file: "nan.csv", mentions: ["finite"]) { _ = try CSVReader.read(nan, targetColumn: "y") }
        expectDataError(.parse, file: "text.csv", mentions: ["no column named \"z\""]) { _ = try CSVReader.read(text, targetColumn: "z") }
        let label = try writeFile(folder, "label.csv", Array("a,y\n1,0.5\n".utf8))
        expectDataError(.parse, file: "label.csv", mentions: ["whole-number"]) {
            _ = try CSVReader.read(label, targetColumn: "y", targetDType: .int64)
        }
        let quote = try writeFile(folder, "quote.csv", Array("a,y\n\"1,2\n".utf8))
        expectDataError(.parse, file: "quote.csv", mentions: ["line 2", "not closed"]) { _ = try CSVReader.read(quote, targetColumn: "y") }
        let binary = try writeFile(folder, "binary.csv", [0x61, 0x2C, 0x79, 0x0A, 0xFF, 0xFE])
        expectDataError(.parse, file: "binary.csv", mentions: ["UTF-8"]) { _ = try CSVReader.read(binary, targetColumn: "y") }
    }

    @Test func standardizerFitsOnTheTrainingPartOnly() throws {
        // Column 0: 1, 3 (mean 2, population std 1); column 1 constant 5 (scale 1).
        let train = Tensor([[1, 5], [3, 5]])
        let scaler = try Standardizer.fit(train)
        #expect(scaler.mean.scalars() == [2, 5] && scaler.scale.scalars() == [1, 1])
        #expect(scaler.transform(train).scalars() == [-1, 0, 1, 0])
        // Test rows use the training statistics, not their own.
        let test = Tensor([[7, 9]])
        #expect(scaler.transform(test).scalars() == [5, 4])
        #expect(scaler.inverseTransform(scaler.transform(test)).scalars() == [7, 9])
        // On a wider column: transformed training data has mean 0 and population std 1.
        let x = Tensor([[2], [4], [4], [4], [5], [5], [7], [9]], dtype: .float64)
        let z = try Standardizer.fit(x).transform(x)
        #expect(abs(z.mean().item(Double.self)) < 1e-12)
        #expect(abs(z.variance(unbiased: false).item(Double.self) - 1) < 1e-12)
    }
}
