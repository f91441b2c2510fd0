// swift-tools-version:6.0
//
// Chapter 6's exercises, a package of their own: an answer that does not
// compile or crashes affects this chapter's grading only. From the
// repository's root:
//
//   swift test --package-path exercises/06-recurrent-networks
//   swift test --package-path exercises/06-recurrent-networks --filter Chapter06Exercises/lstmStep
//
// The stubs in this folder are the module `Exercises06`; Tests/ runs the
// chapter's graders (the library `Graders06`, from exercises/graders) on
// them. Both come from the book's package at ../.., named "Backprop" here
// so that `package: "Backprop"` works whatever the clone's folder is called.

import PackageDescription

let package = Package(
    name: "Exercises06",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Backprop", path: "../..")],
    targets: [
        .target(
            name: "Exercises06",
            dependencies: [
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "BackpropCore", package: "Backprop"),
                .product(name: "Backpropagation", package: "Backprop"),
                .product(name: "RecurrentNetworks", package: "Backprop"),
            ],
            path: ".",
            exclude: ["Package.swift", "Tests"]),
        .testTarget(
            name: "Exercises06Tests",
            dependencies: [
                "Exercises06",
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "Graders06", package: "Backprop"),
            ],
            path: "Tests"),
    ]
)
