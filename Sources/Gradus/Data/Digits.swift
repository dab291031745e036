import Foundation

/// The handwritten digits of scikit-learn (`sklearn.datasets.load_digits`), embedded in Gradus as a
/// package resource (about 44 KB): 1,797 images of 8×8 pixels with values 0-16, labels 0-9.
///
/// The default data set of the examples and tests: real data with no download.
/// `scripts/export_digits.py` produced the resource files from scikit-learn.
///
/// ```swift
/// let (images, labels) = try Digits.load()          // [1797, 64] float32 in [0, 1], [1797] int64
/// let (train, test) = try Digits.trainTestSplit()   // 1,437 and 360 samples
/// let loader = DataLoader(train, batchSize: 32, shuffle: true, seed: 0)
/// ```
public enum Digits {
    /// The number of samples.
    public static let count = 1797
    /// The number of pixels per image (8 × 8).
    public static let features = 64
    /// The number of classes.
    public static let classes = 10
    /// The number of training samples in ``trainTestSplit(seed:)`` (the common 1,437 / 360 split).
    public static let trainCount = 1437

    /// The images and labels.
    ///
    /// - Returns: `images`, float32 `[1797, 64]` (row-major 8×8 pixels divided by 16, so in [0, 1]),
    ///   and `labels`, int64 `[1797]` in 0...9, in scikit-learn's order.
    ///
    /// ```swift
    /// let (x, y) = try Digits.load()
    /// ```
    public static func load() throws -> (images: Tensor, labels: Tensor) {
        let images = try IDXReader.decode(try EmbeddedResource.gunzip("digits-images-idx3-ubyte"),
                                          file: "digits-images-idx3-ubyte.gz", dtype: .float32, scale: 1.0 / 16,
                                          expect: (.uint8, 3))
        let labels = try IDXReader.decode(try EmbeddedResource.gunzip("digits-labels-idx1-ubyte"),
                                          file: "digits-labels-idx1-ubyte.gz", dtype: .int64, expect: (.uint8, 1))
        guard images.shape == [count, 8, 8], labels.shape == [count] else {
            throw DataError(.badHeader, file: "digits-images-idx3-ubyte.gz",
                            "the embedded digits have shapes \(images.shape) and \(labels.shape), expected [\(count), 8, 8] and [\(count)]")
        }
        return (images.reshape([count, features]), labels)
    }

    /// The digits as a dataset of `([64] float32, [] int64)` samples.
    ///
    /// ```swift
    /// let data = try Digits.dataset()
    /// ```
    public static func dataset() throws -> TensorDataset {
        let (x, y) = try load()
        return TensorDataset(x, y)
    }

    /// A fixed, seeded split into 1,437 training and 360 test samples.
    ///
    /// - Parameter seed: the seed of the permutation; the default gives the split the examples use.
    ///
    /// ```swift
    /// let (train, test) = try Digits.trainTestSplit()
    /// ```
    public static func trainTestSplit(seed: UInt64 = 0) throws -> (train: TensorDataset, test: TensorDataset) {
        let data = try dataset()
        let parts = try splitIndices(count: count, lengths: [trainCount, count - trainCount], seed: seed)
        return (data.subset(parts[0]), data.subset(parts[1]))
    }
}
