import Foundation
import Gradus

/// Writes `.npy` arrays and uncompressed `.npz` archives for tests (NumPy's format 1.0, little endian;
/// zip entries stored with their CRC-32), so that tests of the readers' consumers need no Python.
public enum NPZWriter {
    /// The `.npy` bytes of `tensor` as `dtype`: `"<f4"`, `"<i8"` or `"|u1"`.
    public static func npy(_ tensor: Tensor, dtype: String = "<f4") -> [UInt8] {
        let shape = tensor.shape.map(String.init).joined(separator: ", ") + (tensor.rank == 1 ? "," : "")
        var header = "{'descr': '\(dtype)', 'fortran_order': False, 'shape': (\(shape)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        bytes += [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        switch dtype {
        case "<i8":
            for v in tensor.scalars(as: Double.self) { withUnsafeBytes(of: Int64(v).littleEndian) { bytes += $0 } }
        case "|u1":
            bytes += tensor.scalars(as: Double.self).map { UInt8($0) }
        default:
            for v in tensor.scalars(as: Float.self) { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        }
        return bytes
    }

    /// Writes an `.npz` archive of the named arrays (each `(tensor, dtype)`).
    public static func write(_ path: String, _ arrays: [(String, Tensor, String)]) throws {
        var data: [UInt8] = [], central: [UInt8] = []
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        for (name, tensor, dtype) in arrays {
            let file = Array((name + ".npy").utf8)
            let body = npy(tensor, dtype: dtype)
            let crc = crc32(body)
            let offset = data.count
            let common = u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc) + u32(UInt32(body.count)) + u32(UInt32(body.count))
                + u16(file.count) + u16(0)
            data += u32(0x0403_4B50) + common + file + body
            central += u32(0x0201_4B50) + u16(20) + common + u16(0) + u16(0) + u16(0) + u32(0) + u32(UInt32(offset)) + file
        }
        let end = u32(0x0605_4B50) + u16(0) + u16(0) + u16(arrays.count) + u16(arrays.count)
            + u32(UInt32(central.count)) + u32(UInt32(data.count)) + u16(0)
        try Data(data + central + end).write(to: URL(fileURLWithPath: path))
    }

    /// CRC-32 (IEEE 802.3), as zip stores it.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
