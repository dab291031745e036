import Foundation

// Compiled into the Gradus module only by scripts/fuzz.sh, which builds the library with swiftc
// directly instead of SwiftPM. SwiftPM normally generates `Bundle.module` for the target's resources
// (used by Digits.swift); the fuzz targets never load the digits, so the main bundle stands in.
extension Foundation.Bundle {
    static var module: Bundle { Bundle.main }
}
