#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

// Copies and fills of a few dozen elements of any plain type, as in the rows of an im2col window (28 or
// 10 floats in LeNet, or their bfloat16 bits). Calling memmove/memset costs more than the copy at these sizes (measured: a third of
// im2col's time), so these move bytes with vector loads and stores written out in straight-line code;
// longer runs still go to the C library.

enum ShortCopy {
    /// Runs longer than this many bytes are handed to memmove/memset.
    static let libraryThreshold = 256

    /// Copies `count` elements from `source` to `destination` (the ranges must not overlap).
    @inline(__always)
    static func copy<T>(_ destination: UnsafeMutablePointer<T>, from source: UnsafePointer<T>, count: Int) {
        var bytes = count &* MemoryLayout<T>.stride
        if bytes > libraryThreshold {
            destination.update(from: source, count: count)
            return
        }
        var d = UnsafeMutableRawPointer(destination), s = UnsafeRawPointer(source)
        // At most 256 bytes: up to four 64-byte steps, then the remainder in halving steps.
        while bytes >= 64 {
            d.storeBytes(of: s.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
            d += 64; s += 64; bytes &-= 64
        }
        if bytes >= 32 {
            d.storeBytes(of: s.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
            d += 32; s += 32; bytes &-= 32
        }
        if bytes >= 16 {
            d.storeBytes(of: s.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            d += 16; s += 16; bytes &-= 16
        }
        if bytes >= 8 {
            d.storeBytes(of: s.loadUnaligned(as: UInt64.self), as: UInt64.self)
            d += 8; s += 8; bytes &-= 8
        }
        if bytes >= 4 {
            d.storeBytes(of: s.loadUnaligned(as: UInt32.self), as: UInt32.self)
            d += 4; s += 4; bytes &-= 4
        }
        if bytes >= 2 {
            d.storeBytes(of: s.loadUnaligned(as: UInt16.self), as: UInt16.self)
            d += 2; s += 2; bytes &-= 2
        }
        if bytes >= 1 { d.storeBytes(of: s.load(as: UInt8.self), as: UInt8.self) }
    }

    /// Sets `count` elements at `destination` to zero.
    @inline(__always)
    static func zero<T>(_ destination: UnsafeMutablePointer<T>, count: Int) {
        var bytes = count &* MemoryLayout<T>.stride
        if bytes > libraryThreshold {
            memset(destination, 0, bytes)
            return
        }
        var d = UnsafeMutableRawPointer(destination)
        while bytes >= 64 {
            d.storeBytes(of: SIMD16<Float>(), as: SIMD16<Float>.self)
            d += 64; bytes &-= 64
        }
        if bytes >= 32 { d.storeBytes(of: SIMD8<Float>(), as: SIMD8<Float>.self); d += 32; bytes &-= 32 }
        if bytes >= 16 { d.storeBytes(of: SIMD4<Float>(), as: SIMD4<Float>.self); d += 16; bytes &-= 16 }
        if bytes >= 8 { d.storeBytes(of: UInt64(0), as: UInt64.self); d += 8; bytes &-= 8 }
        if bytes >= 4 { d.storeBytes(of: UInt32(0), as: UInt32.self); d += 4; bytes &-= 4 }
        if bytes >= 2 { d.storeBytes(of: UInt16(0), as: UInt16.self); d += 2; bytes &-= 2 }
        if bytes >= 1 { d.storeBytes(of: UInt8(0), as: UInt8.self) }
    }
}
