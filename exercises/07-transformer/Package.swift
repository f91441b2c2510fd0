// swift-tools-version:6.0
//
// Chapter 7's exercises, a package of their own: an answer that does not
// compile or crashes affects this chapter's grading only. From the
// repository's root:
//
//   swift test --package-path exercises/07-transformer
//   swift test --package-path exercises/07-transformer --filter Chapter07Exercises/layerNormBackward
//
// The stubs in this folder are the module `Exercises07`; Tests/ runs the
// chapter's graders (the library `Graders07`, from exercises/graders) on
// them. Both come from the book's package at ../.., named "Backprop" here
// so that `package: "Backprop"` works whatever the clone's folder is called.

import PackageDescription

let package = Package(
    name: "Exercises07",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Backprop", path: "../..")],
    targets: [
        .target(
            name: "Exercises07",
            dependencies: [
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "BackpropCore", package: "Backprop"),
                .product(name: "Backpropagation", package: "Backprop"),
            ],
            path: ".",
            exclude: ["Package.swift", "Tests"]),
        .testTarget(
            name: "Exercises07Tests",
            dependencies: [
                "Exercises07",
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "Graders07", package: "Backprop"),
            ],
            path: "Tests"),
    ]
)
