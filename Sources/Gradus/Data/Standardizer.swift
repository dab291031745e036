/// Per-feature standardization, `(x - mean) / std`, with the statistics fitted on training data only
/// (scikit-learn's `StandardScaler`): the population standard deviation is used, and features that are
/// constant in the training data get a scale of 1 instead of a division by zero.
///
/// ```swift
/// let (train, test) = data.split(trainFraction: 0.8, seed: 0)
/// let scaler = Standardizer.fit(train.inputs)          // statistics from the training part only
/// let xTrain = scaler.transform(train.inputs)
/// let xTest = scaler.transform(test.inputs)            // same statistics applied to the test part
/// ```
public struct Standardizer: Sendable {
    /// The mean of each feature, `[features]`.
    public let mean: Tensor
    /// The scale of each feature (standard deviation, or 1 where it is 0), `[features]`.
    public let scale: Tensor

    /// Creates a standardizer from known statistics.
    ///
    /// ```swift
    /// let s = Standardizer(mean: Tensor([0, 10]), scale: Tensor([1, 5]))
    /// ```
    public init(mean: Tensor, scale: Tensor) {
        guard validSetting(mean.rank == 1 && mean.shape == scale.shape,
                           "Standardizer: mean \(mean.shape) and scale \(scale.shape) must be matching vectors") else {
            (self.mean, self.scale) = (Tensor.zeros([0]), Tensor.ones([0]))
            return
        }
        self.mean = mean.detach()
        self.scale = scale.detach()
    }

    /// A standardizer from statistics that come from outside (a checkpoint), checked first: two
    /// floating-point vectors of `features` finite values, every scale positive.
    ///
    /// - Parameters:
    ///   - mean: the per-feature mean.
    ///   - scale: the per-feature scale.
    ///   - features: the number of features the model takes.
    ///   - source: the file they come from, for the message.
    /// - Throws: ``DataError`` naming what does not fit.
    ///
    /// ```swift
    /// let s = try Standardizer.validated(mean: m, scale: s, features: 64, source: "checkpoint.safetensors")
    /// ```
    public static func validated(mean: Tensor, scale: Tensor, features: Int, source: String) throws -> Standardizer {
        guard mean.dtype.isFloatingPoint, scale.dtype.isFloatingPoint, mean.shape == [features], scale.shape == [features] else {
            throw DataError(.badHeader, file: source,
                            "standardizer statistics: mean \(mean.shape) (\(mean.dtype)) and scale \(scale.shape) (\(scale.dtype)) must be floating-point vectors of the model's \(features) features")
        }
        // Checked as the Float32 values they are used as: a Float64 1e-300 is positive but rounds to 0.
        let m = mean.scalars(as: Double.self), s = scale.scalars(as: Double.self)
        if let i = m.firstIndex(where: { !Float($0).isFinite }) {
            throw DataError(.badHeader, file: source, "standardizer mean of feature \(i) is \(m[i]), not a finite Float32 number")
        }
        if let i = s.firstIndex(where: { !(Float($0).isFinite && Float($0) > 0) }) {
            throw DataError(.badHeader, file: source, "standardizer scale of feature \(i) is \(s[i]), not a positive finite Float32 number")
        }
        return Standardizer(mean: mean.to(.float32), scale: scale.to(.float32))
    }

    /// Fits the mean and scale of each column of `x` (`[samples, features]`).
    ///
    /// - Parameter x: the training features.
    /// - Returns: a standardizer with the statistics of `x`, in `x`'s dtype.
    ///
    /// ```swift
    /// let scaler = Standardizer.fit(trainFeatures)
    /// ```
    public static func fit(_ x: Tensor) throws -> Standardizer {
        try require(x.rank == 2 && x.shape[0] >= 1 && x.dtype.isFloatingPoint,
                     "Standardizer.fit: needs a floating-point [samples, features] tensor with at least one sample, got \(x.shape) \(x.dtype)", .dtypeMismatch)
        let n = x.shape[0], f = x.shape[1]
        let values = x.scalars(as: Double.self)
        var mean = [Double](repeating: 0, count: f)
        for i in 0..<n { for j in 0..<f { mean[j] += values[i * f + j] } }
        for j in 0..<f { mean[j] /= Double(n) }
        var variance = [Double](repeating: 0, count: f)
        for i in 0..<n { for j in 0..<f { let d = values[i * f + j] - mean[j]; variance[j] += d * d } }
        let scale = variance.map { v -> Double in
            let s = (v / Double(n)).squareRoot()
            return s > 0 ? s : 1
        }
        return Standardizer(mean: Tensor(shape: [f], values: mean, dtype: x.dtype),
                            scale: Tensor(shape: [f], values: scale, dtype: x.dtype))
    }

    /// `(x - mean) / scale`, broadcast over the rows of `x`.
    ///
    /// ```swift
    /// let z = scaler.transform(x)
    /// ```
    public func transform(_ x: Tensor) -> Tensor {
        checked {
            try require(x.rank == 2 && x.shape[1] == mean.shape[0],
                         "Standardizer.transform: x \(x.shape) does not have \(mean.shape[0]) features", .shapeMismatch)
            return (x - mean.to(x.dtype)) / scale.to(x.dtype)
        }
    }

    /// `z * scale + mean`: undoes ``transform(_:)``.
    ///
    /// ```swift
    /// let x = scaler.inverseTransform(z)
    /// ```
    public func inverseTransform(_ z: Tensor) -> Tensor {
        checked {
            try require(z.rank == 2 && z.shape[1] == mean.shape[0],
                         "Standardizer.inverseTransform: z \(z.shape) does not have \(mean.shape[0]) features", .shapeMismatch)
            return z * scale.to(z.dtype) + mean.to(z.dtype)
        }
    }
}
