// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Gradus",
    products: [
        .library(name: "Gradus", targets: ["Gradus"]),
        // ONNX export: a separate product so that users of the core library do not pull in protobuf.
        .library(name: "GradusONNX", targets: ["GradusONNX"]),
        // Data-parallel training over Open MPI: a separate product so that users of the core need no MPI.
        .library(name: "GradusDistributed", targets: ["GradusDistributed"]),
        .executable(name: "linear-regression", targets: ["LinearRegressionExample"]),
        .executable(name: "gradus-bench", targets: ["GradusBenchmarks"]),
        .executable(name: "gradus", targets: ["GradusCLI"]),
        .executable(name: "gradus-distributed-check", targets: ["GradusDistributedChecks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation --target Gradus` builds the DocC catalog (Sources/Gradus/Gradus.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // ONNX's protobuf encoding. Only the runtime library: the code generated from onnx.proto is committed
        // (scripts/generate_onnx_proto.sh), so builds need neither protoc nor the slow build plugin.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // OpenBLAS's CBLAS interface: matrix products.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // oneDNN's C interface (Debian libdnnl-dev; no pkg-config file): Float32 matrix products, which its
        // JIT kernels run faster than OpenBLAS's (docs/benchmarks.md, "Matrix products: oneDNN").
        .systemLibrary(
            name: "CDNNL",
            providers: [.apt(["libdnnl-dev"])]
        ),
        // zlib: gzip (IDX/MNIST files, the embedded digits) and deflated .npz entries.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Open MPI's C interface (Debian libopenmpi-dev), for GradusDistributed only.
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        // Vectorizable square roots (no errno); header-only.
        .target(name: "CGradusMath"),
        // bfloat16 products through oneDNN's matmul primitive (its C API has no bfloat16 gemm function).
        .target(name: "CGradusOneDNN", dependencies: ["CDNNL"]),
        .target(
            name: "Gradus",
            dependencies: ["CBLAS", "CDNNL", "CGradusOneDNN", "CZlib", "CGradusMath"],
            resources: [
                .copy("Data/Resources/digits-images-idx3-ubyte.gz"),
                .copy("Data/Resources/digits-labels-idx1-ubyte.gz"),
                .copy("Text/Resources/shakespeare.txt.gz"),
                .copy("Text/Resources/shakespeare-LICENSE.txt"),
            ]
        ),
        // Export of Gradus models to ONNX (Sources/GradusONNX/onnx.pb.swift is generated, see above).
        .target(
            name: "GradusONNX",
            dependencies: ["Gradus", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // Process groups, DistributedDataParallel and SyncBatchNorm over MPI.
        .target(name: "GradusDistributed", dependencies: ["Gradus", "CMPI"]),
        // Multi-process checks of GradusDistributed, launched under mpirun by Tests/DistributedTests.
        .executableTarget(name: "GradusDistributedChecks", dependencies: ["Gradus", "GradusDistributed"]),
        .executableTarget(name: "LinearRegressionExample", dependencies: ["Gradus"]),
        .executableTarget(name: "GradusBenchmarks", dependencies: ["Gradus", "GradusDistributed", "CBLAS", "CDNNL"]),
        // The `gradus` command line: the commands live in a library so that tests can parse and run them.
        .target(
            name: "GradusCommands",
            dependencies: ["Gradus", "GradusONNX", "GradusDistributed", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "GradusCLI", dependencies: ["GradusCommands", "Gradus"]),
        .target(name: "GradusTestSupport", dependencies: ["Gradus"], path: "Tests/GradusTestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "AutogradTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "IOTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "LossTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "OptimTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Gradus", "GradusTestSupport"]),
        .testTarget(name: "ONNXTests", dependencies: ["GradusONNX", "GradusCommands", "Gradus", "GradusTestSupport"]),
        // Launches gradus-distributed-check under mpirun; the sampler tests need no MPI.
        .testTarget(name: "DistributedTests", dependencies: ["Gradus", "GradusDistributed", "GradusDistributedChecks", "GradusTestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["GradusCommands", "Gradus", "GradusTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
