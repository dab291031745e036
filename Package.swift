// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Gradus",
    products: [
        .library(name: "Gradus", targets: ["Gradus"]),
        .executable(name: "linear-regression", targets: ["LinearRegressionExample"]),
    ],
    targets: [
        // OpenBLAS's CBLAS interface: matrix products.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "Gradus", dependencies: ["CBLAS"]),
        .executableTarget(name: "LinearRegressionExample", dependencies: ["Gradus"]),
        .target(name: "GradusTestSupport", dependencies: ["Gradus"], path: "Tests/GradusTestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "AutogradTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["Gradus", "GradusTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
