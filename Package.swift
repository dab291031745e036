// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Gradus",
    products: [
        .library(name: "Gradus", targets: ["Gradus"]),
        .executable(name: "linear-regression", targets: ["LinearRegressionExample"]),
        .executable(name: "gradus-bench", targets: ["GradusBenchmarks"]),
    ],
    targets: [
        // OpenBLAS's CBLAS interface: matrix products.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // zlib: gzip (IDX/MNIST files, the embedded digits) and deflated .npz entries.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Vectorizable square roots (no errno); header-only.
        .target(name: "CGradusMath"),
        .target(
            name: "Gradus",
            dependencies: ["CBLAS", "CZlib", "CGradusMath"],
            resources: [
                .copy("Data/Resources/digits-images-idx3-ubyte.gz"),
                .copy("Data/Resources/digits-labels-idx1-ubyte.gz"),
            ]
        ),
        .executableTarget(name: "LinearRegressionExample", dependencies: ["Gradus"]),
        .executableTarget(name: "GradusBenchmarks", dependencies: ["Gradus", "CBLAS"]),
        .target(name: "GradusTestSupport", dependencies: ["Gradus"], path: "Tests/GradusTestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "AutogradTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "IOTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "LossTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "OptimTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["Gradus", "GradusTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
