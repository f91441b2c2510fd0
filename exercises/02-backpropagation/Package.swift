// swift-tools-version:6.0
//
// Chapter 2's exercises, a package of their own: an answer that does not
// compile or crashes affects this chapter's grading only. From the
// repository's root:
//
//   swift test --package-path exercises/02-backpropagation
//   swift test --package-path exercises/02-backpropagation --filter Chapter02Exercises/adamStep
//
// The stubs in this folder are the module `Exercises02`; Tests/ runs the
// chapter's graders (the library `Graders02`, from exercises/graders) on
// them. Both come from the book's package at ../.., named "Backprop" here
// so that `package: "Backprop"` works whatever the clone's folder is called.

import PackageDescription

let package = Package(
    name: "Exercises02",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Backprop", path: "../..")],
    targets: [
        .target(
            name: "Exercises02",
            dependencies: [
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "BackpropCore", package: "Backprop"),
                .product(name: "LinearModels", package: "Backprop"),
                .product(name: "Backpropagation", package: "Backprop"),
            ],
            path: ".",
            exclude: ["Package.swift", "Tests"]),
        .testTarget(
            name: "Exercises02Tests",
            dependencies: [
                "Exercises02",
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "Graders02", package: "Backprop"),
            ],
            path: "Tests"),
    ]
)
