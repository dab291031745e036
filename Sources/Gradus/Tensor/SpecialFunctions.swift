// Scalar special functions that neither the C library nor swift-numerics provides: digamma, trigamma,
// polygamma (through the Hurwitz zeta function) and the inverse error function. Written here with the
// series and constants PyTorch's CPU kernels use (Cephes's zeta and psi, the asymptotic trigamma
// series, a rational erfinv with two Newton steps), in the precision those kernels use for each element
// type, so that values and their edges (poles, ±1, rounding near the reflection's zeros) are PyTorch's.
// lgamma comes from the C library (`lgamma_r`, reentrant).

#if canImport(Glibc)
import Glibc
#endif

enum SpecialFunctions {
    /// log|Γ(x)| (the C library's reentrant form: no shared sign variable).
    static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    /// log|Γ(x)| in Float (`lgammaf_r`).
    static func logGamma(_ x: Float) -> Float {
        var sign: Int32 = 0
        return lgammaf_r(x, &sign)
    }

    /// ψ(x) = d/dx log Γ(x): −inf at +0 (+inf at −0), NaN at the negative integers, the reflection
    /// formula below 0 (its π/tan(πx) in Double), the recurrence up to 10 and the asymptotic series there
    /// — in the element type's own arithmetic, as PyTorch's calc_digamma for float and double.
    static func digamma<T: TensorFloat>(_ x: T) -> T {
        if x == 0 { return x.sign == .minus ? .infinity : -.infinity }
        if x.isNaN { return .nan }
        if x < 0 {
            if x == x.rounded(.towardZero) { return .nan }
            // ψ(x) = ψ(1 − x) − π / tan(πx), with the fractional part for accuracy.
            let r = Double(x) - Double(x).rounded(.towardZero)
            return digamma(1 - x) - T(Double.pi / tan(Double.pi * r))
        }
        if x == .infinity { return .infinity }
        var x = x, result: T = 0
        while x < 10 {
            result -= 1 / x
            x += 1
        }
        if x == 10 { return result + T(2.25175258906672110764) }
        let coefficients: [T] = [8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
                                 -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
                                 8.33333333333333333333e-2]
        var y: T = 0
        if x < 1e17 {
            let z = 1 / (x * x)
            y = z * coefficients.reduce(0) { $0 * z + $1 }
        }
        return result + T.log(x) - T(0.5) / x - y
    }

    /// ψ′(x), the trigamma function (PyTorch's calc_trigamma: reflection below ½, six recurrence steps,
    /// then the asymptotic series, all in the element type).
    static func trigamma<T: TensorFloat>(_ x: T) -> T {
        var x = x, sign: T = 1, result: T = 0
        let pi = T(Double.pi)
        if x < 0.5 {
            sign = -1
            let s = T.sin(pi * x)
            result -= pi * pi / (s * s)
            x = 1 - x
        }
        for _ in 0..<6 {
            result += 1 / (x * x)
            x += 1
        }
        let ixx: T = 1 / (x * x)
        let (sixth, thirtieth, fortySecond): (T, T, T) = (1 / 6, 1 / 30, 1 / 42)
        let inner: T = sixth - ixx * (thirtieth - ixx * fortySecond)
        let head: T = 1 + 1 / (2 * x)
        result += (head + ixx * inner) / x
        return sign * result
    }

    /// The Hurwitz zeta function ζ(s, q) = Σₖ (k + q)^−s for s > 1 (Cephes's zeta, as PyTorch's):
    /// +inf at s = 1 and at non-positive integer q, NaN for s < 1 and for negative q with non-integer s.
    static func hurwitzZeta(_ s: Double, _ q: Double) -> Double {
        let epsilon = 1.11022302462515654042e-16
        let a = [12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
                 -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
                 1.8152105401943546773e17, -7.1661652561756670113e18]
        if s == 1 { return .infinity }
        if s < 1 { return .nan }
        if q <= 0 {
            if q == q.rounded(.down) { return .infinity }
            if s != s.rounded(.down) { return .nan }
        }
        var sum = pow(q, -s), term = 0.0, shifted = q
        var i = 0
        while i < 9 || shifted <= 9 {
            i += 1
            shifted += 1
            term = pow(shifted, -s)
            sum += term
            if abs(term / sum) < epsilon { return sum }
        }
        let w = shifted
        sum += term * w / (s - 1)
        sum -= 0.5 * term
        var factor = 1.0, k = 0.0
        for coefficient in a {
            factor *= s + k
            term /= w
            let t = factor * term / coefficient
            sum += t
            if abs(t / sum) < epsilon { return sum }
            k += 1
            factor *= s + k
            term /= w
            k += 1
        }
        return sum
    }

    /// ψ⁽ⁿ⁾(x): digamma for n = 0, trigamma for n = 1, (−1)ⁿ⁺¹ n! ζ(n + 1, x) above (PyTorch's
    /// calc_polygamma: ζ accumulated in Double, n! and the product in the element type, so that Float32
    /// overflows where PyTorch's does, n! > 3.4e38 from n = 35).
    static func polygamma<T: TensorFloat>(_ n: Int, _ x: T) -> T {
        switch n {
        case 0: return digamma(x)
        case 1: return trigamma(x)
        default:
            let sign: T = n % 2 == 1 ? 1 : -1
            let zeta = T(hurwitzZeta(Double(n) + 1, Double(x)))
            let logFactorial = T.self == Float.self ? T(Float(logGamma(Float(n) + 1))) : T(logGamma(Double(n) + 1))
            return sign * T.exp(logFactorial) * zeta
        }
    }

    /// erf⁻¹(y) on [−1, 1] (±inf at ±1, NaN outside): a rational first guess refined by two Newton
    /// steps (PyTorch's calc_erfinv). Float32 tensors call it in Double: near ±1 the Newton steps need
    /// erf beyond Float's precision, and PyTorch's Float32 results are the rounded Double ones there.
    static func inverseErf<T: TensorFloat>(_ y: T) -> T {
        if y.isNaN || y < -1 || y > 1 { return .nan }
        if y == 1 { return .infinity }
        if y == -1 { return -.infinity }
        let a: [T] = [0.886226899, -1.645349621, 0.914624893, -0.140543331]
        let b: [T] = [-2.118377725, 1.442710462, -0.329097515, 0.012229801]
        let c: [T] = [-1.970840454, -1.624906493, 3.429567803, 1.641345311]
        let d: [T] = [3.543889200, 1.637067800]
        var x: T
        if y.magnitude <= 0.7 {
            let z = y * y
            let numerator = ((a[3] * z + a[2]) * z + a[1]) * z + a[0]
            let denominator = (((b[3] * z + b[2]) * z + b[1]) * z + b[0]) * z + 1
            x = y * numerator / denominator
        } else {
            let z = T.sqrt(-T.log((1 - y.magnitude) / 2))
            let numerator = ((c[3] * z + c[2]) * z + c[1]) * z + c[0]
            let denominator = (d[1] * z + d[0]) * z + 1
            x = T(signOf: y, magnitudeOf: numerator / denominator)
        }
        let slope = 2 / T.sqrt(T(Double.pi))
        if y.magnitude <= 0.7 {
            for _ in 0..<2 { x -= (T.erf(x) - y) / (slope * T.exp(-x * x)) }
        } else {
            // Near ±1, erf(x) − y cancels: the same Newton steps on erfc(|x|) against 1 − |y| (exact).
            var t = x.magnitude
            for _ in 0..<2 { t -= ((1 - y.magnitude) - T(erfc(Double(t)))) / (slope * T.exp(-t * t)) }
            x = T(signOf: y, magnitudeOf: t)
        }
        return x
    }
}
