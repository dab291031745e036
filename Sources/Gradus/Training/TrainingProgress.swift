/// Where a training run stands after a batch: reported by ``Trainer`` to its `onBatch` callback,
/// rendered by ``line(barWidth:)`` as a one-line progress bar.
///
/// ```swift
/// try trainer.fit(train: train, epochs: 10, batchSize: 32, onBatch: { p in
///     print("\r" + p.line(), terminator: "")
/// })
/// ```
public struct TrainingProgress: Sendable, Equatable {
    /// The current epoch, from 1.
    public var epoch: Int
    /// The last epoch of the run.
    public var epochs: Int
    /// The batch just finished, from 1.
    public var batch: Int
    /// The number of batches per epoch.
    public var batches: Int
    /// The mean training loss so far in this epoch.
    public var loss: Double
    /// The training accuracy so far in this epoch (classification only).
    public var accuracy: Double?
    /// Training samples per second in this epoch.
    public var samplesPerSecond: Double
    /// An estimate of the training seconds left in the run (evaluation excluded).
    public var secondsLeft: Double

    /// Creates a record.
    ///
    /// ```swift
    /// let p = TrainingProgress(epoch: 1, epochs: 2, batch: 3, batches: 10, loss: 0.5, accuracy: 0.8,
    ///                          samplesPerSecond: 1e4, secondsLeft: 2)
    /// ```
    public init(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, accuracy: Double?,
                samplesPerSecond: Double, secondsLeft: Double) {
        self.epoch = epoch
        self.epochs = epochs
        self.batch = batch
        self.batches = batches
        self.loss = loss
        self.accuracy = accuracy
        self.samplesPerSecond = samplesPerSecond
        self.secondsLeft = secondsLeft
    }

    /// A progress bar line: epoch, bar, batch, loss, accuracy, samples/s and time left, e.g.
    /// `epoch  3/25 [#######>........] 30/45 loss 0.1234 acc 96.50% 41235 samples/s 0:07 left`.
    ///
    /// - Parameter barWidth: the number of characters inside the brackets.
    /// - Returns: the line, without a line end.
    ///
    /// ```swift
    /// print("\r" + progress.line(barWidth: 20), terminator: "")
    /// ```
    public func line(barWidth: Int = 24) -> String {
        let barWidth = Swift.min(Swift.max(barWidth, 0), 1000)   // a terminal's width less a margin may be negative
        let done = batches <= 0 ? barWidth
            : Int(Swift.max(0, Swift.min(Double(barWidth), Double(barWidth) * Double(batch) / Double(batches))))
        var bar = String(repeating: "=", count: done)
        if done < barWidth { bar += ">" + String(repeating: ".", count: barWidth - done - 1) }
        let ew = String(epochs).count
        let epochText = String(repeating: " ", count: Swift.max(0, ew - String(epoch).count)) + "\(epoch)/\(epochs)"
        let bw = String(batches).count
        let batchText = String(repeating: " ", count: Swift.max(0, bw - String(batch).count)) + "\(batch)/\(batches)"
        var s = "epoch \(epochText) [\(bar)] \(batchText) loss \(Format.fixed(loss, 4))"
        if let a = accuracy { s += " acc \(Format.fixed(a * 100, 2))%" }
        s += " \(Format.fixed(samplesPerSecond, 0)) samples/s \(Format.duration(secondsLeft)) left"
        return s
    }
}
