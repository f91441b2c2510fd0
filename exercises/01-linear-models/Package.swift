// swift-tools-version:6.0
//
// Chapter 1's exercises, a package of their own: an answer that does not
// compile or crashes affects this chapter's grading only. From the
// repository's root:
//
//   swift test --package-path exercises/01-linear-models
//   swift test --package-path exercises/01-linear-models --filter Chapter01Exercises/mseGradient
//
// The stubs in this folder are the module `Exercises01`; Tests/ runs the
// chapter's graders (the library `Graders01`, from exercises/graders) on
// them. Both come from the book's package at ../.., named "Backprop" here
// so that `package: "Backprop"` works whatever the clone's folder is called.

import PackageDescription

let package = Package(
    name: "Exercises01",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Backprop", path: "../..")],
    targets: [
        .target(
            name: "Exercises01",
            dependencies: [
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "BackpropCore", package: "Backprop"),
                .product(name: "LinearModels", package: "Backprop"),
            ],
            path: ".",
            exclude: ["Package.swift", "Tests"]),
        .testTarget(
            name: "Exercises01Tests",
            dependencies: [
                "Exercises01",
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "Graders01", package: "Backprop"),
            ],
            path: "Tests"),
    ]
)
