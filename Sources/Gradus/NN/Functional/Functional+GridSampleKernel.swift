// The bilinear image sampler as one pass over the output points (forward) and one over the points again
// scattering into the input's gradient and gathering the grid's (backward), after PyTorch's CPU kernel
// `grid_sampler_2d`. Composed from tensor operations (Functional+GridSample.swift) the sampler is about
// nine times slower than PyTorch's (four gathers, masks and weights, each a full-size tensor); written
// by hand here because no library we depend on has it (oneDNN has no grid sampler). The composed form
// stays the reference: it gives the same values and gradients, and a pass that records itself
// (`createGraph`, second derivatives) differentiates through it.

/// Element types of the bilinear sampling kernel.
protocol GridSampleElement: BinaryFloatingPoint {
    /// The value (already rounded down, finite and small) as an `Int`, by the type's own conversion (the
    /// generic one is a slow call).
    var wholeValue: Int { get }
}
extension Float: GridSampleElement { @inline(__always) var wholeValue: Int { Int(self) } }
extension Double: GridSampleElement { @inline(__always) var wholeValue: Int { Int(self) } }

/// A pixel coordinate bounded by the padding rule, and d(coordinate)/d(grid value).
private struct BoundedCoordinate<T: GridSampleElement> {
    var value: T
    var gradient: T
}

/// What the kernel needs of the sampling rule.
struct GridSampleGeometry {
    let padding: GridSamplePadding
    let alignCorners: Bool

    /// PyTorch's `grid_sampler_compute_source_index_set_grad`, with NaN and far points made harmless: the
    /// pixel coordinate of grid value `x` along `size` pixels and its derivative.
    fileprivate func coordinate<T: GridSampleElement>(_ x: T, size: Int) -> BoundedCoordinate<T> {
        let s = T(size)
        var c = alignCorners ? (x + 1) / 2 * (s - 1) : ((x + 1) * s - 1) / 2
        var d: T = alignCorners ? (s - 1) / 2 : s / 2
        switch padding {
        case .zeros:
            // Beyond two pixels outside, no corner is read; keep the coordinate finite and the gradient 0.
            if !(c > -2) || !(c < s + 1) { return BoundedCoordinate(value: -2, gradient: 0) }
        case .border:
            clip(&c, &d, size: s)
        case .reflection:
            let (low, high): (T, T) = alignCorners ? (0, 2 * (s - 1)) : (-1, 2 * s - 1)
            reflect(&c, &d, twiceLow: low, twiceHigh: high)
            clip(&c, &d, size: s)
        }
        return BoundedCoordinate(value: c, gradient: d)
    }

    /// Into [0, size − 1]; a clipped coordinate (also exactly at an edge, and NaN) passes no gradient.
    private func clip<T: GridSampleElement>(_ c: inout T, _ d: inout T, size s: T) {
        if !(c > 0) { c = 0; d = 0 } else if !(c < s - 1) { c = s - 1; d = 0 }
    }

    /// Mirrored into [twiceLow / 2, twiceHigh / 2], the sign of the gradient flipping with each reflection.
    private func reflect<T: GridSampleElement>(_ c: inout T, _ d: inout T, twiceLow: T, twiceHigh: T) {
        if twiceLow == twiceHigh { c = 0; d = 0; return }
        let low = twiceLow / 2, span = (twiceHigh - twiceLow) / 2
        var distance = c - low
        if distance < 0 { distance = -distance; d = -d }
        let flips = (distance / span).rounded(.down)
        let extra = distance - flips * span
        if !flips.isFinite { c = .nan; return }   // infinite input: clipped to 0 next
        if flips.truncatingRemainder(dividingBy: 2) == 0 { c = extra + low } else { c = span - extra + low; d = -d }
    }
}

extension Functional {
    /// How many points' corners a kernel keeps at a time: the scratch stays in cache and bounded,
    /// whatever the grid's size.
    static let gridSampleTile = 4096

    /// Bilinear sampling of contiguous `[N, C, H, W]` `input` at contiguous `[N, Ho, Wo, 2]` `grid`, written
    /// into `out` (`[N, C, Ho, Wo]`, allocated by the caller with its memory check).
    static func gridSampleBilinearKernel(_ input: Tensor, _ grid: Tensor, _ geometry: GridSampleGeometry, into out: Tensor) {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let points = grid.shape[1] * grid.shape[2]
        func run<T: GridSampleElement>(_: T.Type) {
            let src = UncheckedSendable(input.pointer(T.self)), g = UncheckedSendable(grid.pointer(T.self))
            let dst = UncheckedSendable(out.pointer(T.self))
            // Per batch and tile of points: the tile's corners once, then channel by channel (one input
            // plane, in cache, at a time; the output written in order).
            Threading.parallelFor(n, grain: 1) { batches in
                var corners: [Corners<T>] = []
                corners.reserveCapacity(Swift.min(points, gridSampleTile))
                for b in batches {
                    for start in stride(from: 0, to: points, by: gridSampleTile) {
                        let end = Swift.min(start + gridSampleTile, points)
                        corners.removeAll(keepingCapacity: true)
                        for p in start..<end {
                            let q = b * points + p
                            let x = geometry.coordinate(g.value[2 * q], size: w), y = geometry.coordinate(g.value[2 * q + 1], size: h)
                            corners.append(Corners(x: x.value, y: y.value, width: w, height: h))
                        }
                        corners.withUnsafeBufferPointer { k in
                            for ch in 0..<c {
                                let plane = src.value + (b * c + ch) * h * w
                                let o = dst.value + (b * c + ch) * points + start
                                for p in 0..<(end - start) { o[p] = k[p].interpolate(plane) }
                            }
                        }
                    }
                }
            }
        }
        withExtendedLifetime((input, grid, out)) {
            if input.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        }
    }

    /// The gradients of ``gridSampleBilinearKernel(_:_:_:into:)`` for upstream gradient `gradient`: the
    /// input's (scattered to the four corners) and the grid's. Batches run in parallel (each owns its
    /// input planes and grid points).
    static func gridSampleBilinearBackwardKernel(_ gradient: Tensor, _ input: Tensor, _ grid: Tensor,
                                                 _ geometry: GridSampleGeometry) -> (input: Tensor, grid: Tensor) {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let points = grid.shape[1] * grid.shape[2]
        let gInput = Tensor.zeros(input.shape, dtype: input.dtype)
        let gGrid = Tensor(uninitializedShape: grid.shape, dtype: grid.dtype)
        func run<T: GridSampleElement>(_: T.Type) {
            let src = UncheckedSendable(input.pointer(T.self)), g = UncheckedSendable(grid.pointer(T.self))
            let up = UncheckedSendable(gradient.pointer(T.self))
            let gi = UncheckedSendable(gInput.pointer(T.self)), gg = UncheckedSendable(gGrid.pointer(T.self))
            Threading.parallelFor(n, grain: 1) { batches in
                let tile = Swift.min(points, gridSampleTile)
                var corners: [Corners<T>] = [], gradients: [(x: T, y: T)] = []
                corners.reserveCapacity(tile)
                gradients.reserveCapacity(tile)
                var dx = [T](repeating: 0, count: tile), dy = [T](repeating: 0, count: tile)
                for b in batches {
                    for start in stride(from: 0, to: points, by: gridSampleTile) {
                        let end = Swift.min(start + gridSampleTile, points)
                        corners.removeAll(keepingCapacity: true)
                        gradients.removeAll(keepingCapacity: true)
                        for p in start..<end {
                            let q = b * points + p
                            let x = geometry.coordinate(g.value[2 * q], size: w), y = geometry.coordinate(g.value[2 * q + 1], size: h)
                            corners.append(Corners(x: x.value, y: y.value, width: w, height: h))
                            gradients.append((x.gradient, y.gradient))
                            dx[p - start] = 0
                            dy[p - start] = 0
                        }
                        // Raw buffers: the sums below run per channel and point (no array checks in the loop).
                        corners.withUnsafeBufferPointer { k in
                            dx.withUnsafeMutableBufferPointer { sumX in
                                dy.withUnsafeMutableBufferPointer { sumY in
                                    for ch in 0..<c {
                                        let plane = (b * c + ch) * h * w
                                        let o = up.value + (b * c + ch) * points + start
                                        for p in 0..<(end - start) {
                                            let go = o[p]
                                            k[p].scatter(go, into: gi.value + plane)
                                            let (sx, sy) = k[p].slopes(src.value + plane)
                                            sumX[p] += go * sx
                                            sumY[p] += go * sy
                                        }
                                    }
                                }
                            }
                        }
                        for p in start..<end {
                            let q = b * points + p
                            gg.value[2 * q] = dx[p - start] * gradients[p - start].x
                            gg.value[2 * q + 1] = dy[p - start] * gradients[p - start].y
                        }
                    }
                }
            }
        }
        withExtendedLifetime((gradient, input, grid)) {
            if input.dtype == .float32 { run(Float.self) } else { run(Double.self) }
        }
        return (gInput, gGrid)
    }
}

/// The four pixels around a point and their bilinear weights (0 for a corner outside the image, which is
/// then never read), computed once per point for all channels.
private struct Corners<T: GridSampleElement> {
    /// The north-west corner's offset in a plane.
    let base: Int, width: Int
    /// Distances of the point from the north-west corner.
    let fx: T, fy: T
    /// Which corners lie inside: north-west, north-east, south-west, south-east.
    let nw: Bool, ne: Bool, sw: Bool, se: Bool
    /// Their weights, 0 for corners outside.
    let wnw: T, wne: T, wsw: T, wse: T

    init(x: T, y: T, width: Int, height: Int) {
        let fx0 = x.rounded(.down), fy0 = y.rounded(.down)
        let x0 = fx0.wholeValue, y0 = fy0.wholeValue
        fx = x - fx0
        fy = y - fy0
        self.width = width
        base = y0 &* width &+ x0
        let xIn = x0 >= 0 && x0 < width, x1In = x0 + 1 >= 0 && x0 + 1 < width
        let yIn = y0 >= 0 && y0 < height, y1In = y0 + 1 >= 0 && y0 + 1 < height
        nw = xIn && yIn
        ne = x1In && yIn
        sw = xIn && y1In
        se = x1In && y1In
        wnw = nw ? (1 - fx) * (1 - fy) : 0
        wne = ne ? fx * (1 - fy) : 0
        wsw = sw ? (1 - fx) * fy : 0
        wse = se ? fx * fy : 0
    }

    /// The four corner values (0 outside).
    @inline(__always) private func values(_ plane: UnsafeMutablePointer<T>) -> (T, T, T, T) {
        (nw ? plane[base] : 0, ne ? plane[base &+ 1] : 0, sw ? plane[base &+ width] : 0, se ? plane[base &+ width &+ 1] : 0)
    }

    @inline(__always) func interpolate(_ plane: UnsafeMutablePointer<T>) -> T {
        let (a, b, c, d) = values(plane)
        return a * wnw + b * wne + c * wsw + d * wse
    }

    @inline(__always) func scatter(_ g: T, into plane: UnsafeMutablePointer<T>) {
        if nw { plane[base] += g * wnw }
        if ne { plane[base &+ 1] += g * wne }
        if sw { plane[base &+ width] += g * wsw }
        if se { plane[base &+ width &+ 1] += g * wse }
    }

    /// d(interpolated value)/dx and /dy at the point.
    @inline(__always) func slopes(_ plane: UnsafeMutablePointer<T>) -> (T, T) {
        let (vnw, vne, vsw, vse) = values(plane)
        return ((vne - vnw) * (1 - fy) + (vse - vsw) * fy, (vsw - vnw) * (1 - fx) + (vse - vne) * fx)
    }
}
