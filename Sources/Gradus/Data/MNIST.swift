#if canImport(Glibc)
import Glibc
#endif

/// The MNIST handwritten digits read from a folder holding the four standard IDX files (gzip or raw):
/// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`, each optionally ending in `.gz`.
///
/// Images are `float32` of shape `[n, 28, 28]` scaled to [0, 1]; labels are `int64` of shape `[n]`.
///
/// ```swift
/// let mnist = try MNIST.load(folder: "/data/mnist")
/// let train = TensorDataset(mnist.trainImages.reshape([-1, 784]), mnist.trainLabels)
/// ```
public struct MNIST: Sendable {
    /// Training images, `[60000, 28, 28]` float32 in [0, 1].
    public let trainImages: Tensor
    /// Training labels, `[60000]` int64 in 0...9.
    public let trainLabels: Tensor
    /// Test images, `[10000, 28, 28]` float32 in [0, 1].
    public let testImages: Tensor
    /// Test labels, `[10000]` int64 in 0...9.
    public let testLabels: Tensor

    /// The standard base names of the four files (without `.gz`).
    public static let fileNames = (trainImages: "train-images-idx3-ubyte", trainLabels: "train-labels-idx1-ubyte",
                                   testImages: "t10k-images-idx3-ubyte", testLabels: "t10k-labels-idx1-ubyte")

    /// Reads the four files from `folder`.
    ///
    /// - Parameters:
    ///   - folder: the directory that holds the files.
    ///   - maxBytes: the largest file and decompressed size accepted.
    ///
    /// ```swift
    /// let mnist = try MNIST.load(folder: "/data/mnist")
    /// print(mnist.trainImages.shape)   // [60000, 28, 28]
    /// ```
    public static func load(folder: String, maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> MNIST {
        let names = fileNames
        let (trX, trY) = try loadPair(images: locate(folder, names.trainImages),
                                      labels: locate(folder, names.trainLabels), maxBytes: maxBytes)
        let (teX, teY) = try loadPair(images: locate(folder, names.testImages),
                                      labels: locate(folder, names.testLabels), maxBytes: maxBytes)
        return MNIST(trainImages: trX, trainLabels: trY, testImages: teX, testLabels: teY)
    }

    /// Reads an image file (magic 2051: unsigned bytes, 3 dimensions) as float32 scaled to [0, 1].
    ///
    /// ```swift
    /// let x = try MNIST.loadImages("t10k-images-idx3-ubyte.gz")   // [10000, 28, 28]
    /// ```
    public static func loadImages(_ path: String, maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> Tensor {
        try IDXReader.read(path, dtype: .float32, scale: 1.0 / 255, expect: (.uint8, 3), maxBytes: maxBytes)
    }

    /// Reads a label file (magic 2049: unsigned bytes, 1 dimension) as int64.
    ///
    /// ```swift
    /// let y = try MNIST.loadLabels("t10k-labels-idx1-ubyte.gz")   // [10000]
    /// ```
    public static func loadLabels(_ path: String, maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> Tensor {
        try IDXReader.read(path, dtype: .int64, expect: (.uint8, 1), maxBytes: maxBytes)
    }

    /// Reads an image file and its label file and checks that their counts agree.
    ///
    /// ```swift
    /// let (x, y) = try MNIST.loadPair(images: imagesPath, labels: labelsPath)
    /// ```
    public static func loadPair(images: String, labels: String,
                                maxBytes: Int = ReaderLimits.defaultMaxBytes) throws -> (images: Tensor, labels: Tensor) {
        let x = try loadImages(images, maxBytes: maxBytes)
        let y = try loadLabels(labels, maxBytes: maxBytes)
        guard x.shape[0] == y.shape[0] else {
            throw DataError(.badHeader, file: labels, "holds \(y.shape[0]) labels but \(images) holds \(x.shape[0]) images")
        }
        return (x, y)
    }

    /// `folder/name.gz` when it exists, else `folder/name`, else an `.io` error listing both.
    static func locate(_ folder: String, _ name: String) throws -> String {
        let base = folder.hasSuffix("/") ? folder + name : folder + "/" + name
        for candidate in [base + ".gz", base] where access(candidate, R_OK) == 0 { return candidate }
        throw DataError(.io, file: base, "MNIST file not found (looked for \(name).gz and \(name) in \(folder))")
    }
}
