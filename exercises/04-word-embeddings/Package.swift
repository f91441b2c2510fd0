// swift-tools-version:6.0
//
// Chapter 4's exercises, a package of their own: an answer that does not
// compile or crashes affects this chapter's grading only. From the
// repository's root:
//
//   swift test --package-path exercises/04-word-embeddings
//   swift test --package-path exercises/04-word-embeddings --filter Chapter04Exercises/sgnsGradients
//
// The stubs in this folder are the module `Exercises04`; Tests/ runs the
// chapter's graders (the library `Graders04`, from exercises/graders) on
// them. Both come from the book's package at ../.., named "Backprop" here
// so that `package: "Backprop"` works whatever the clone's folder is called.

import PackageDescription

let package = Package(
    name: "Exercises04",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Backprop", path: "../..")],
    targets: [
        .target(
            name: "Exercises04",
            dependencies: [
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "BackpropCore", package: "Backprop"),
            ],
            path: ".",
            exclude: ["Package.swift", "Tests"]),
        .testTarget(
            name: "Exercises04Tests",
            dependencies: [
                "Exercises04",
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "Graders04", package: "Backprop"),
            ],
            path: "Tests"),
    ]
)
