// swift-tools-version:6.0
//
// Chapter 5's exercises, a package of their own: an answer that does not
// compile or crashes affects this chapter's grading only. From the
// repository's root:
//
//   swift test --package-path exercises/05-convolutional-networks
//   swift test --package-path exercises/05-convolutional-networks --filter Chapter05Exercises/maxPoolBackward
//
// The stubs in this folder are the module `Exercises05`; Tests/ runs the
// chapter's graders (the library `Graders05`, from exercises/graders) on
// them. Both come from the book's package at ../.., named "Backprop" here
// so that `package: "Backprop"` works whatever the clone's folder is called.

import PackageDescription

let package = Package(
    name: "Exercises05",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Backprop", path: "../..")],
    targets: [
        .target(
            name: "Exercises05",
            dependencies: [
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "BackpropCore", package: "Backprop"),
                .product(name: "LinearModels", package: "Backprop"),
                .product(name: "Backpropagation", package: "Backprop"),
                .product(name: "ConvolutionalNetworks", package: "Backprop"),
            ],
            path: ".",
            exclude: ["Package.swift", "Tests"]),
        .testTarget(
            name: "Exercises05Tests",
            dependencies: [
                "Exercises05",
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "Graders05", package: "Backprop"),
            ],
            path: "Tests"),
    ]
)
