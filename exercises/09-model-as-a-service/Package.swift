// swift-tools-version:6.0
//
// Chapter 9's exercises, a package of their own: an answer that does not
// compile or crashes affects this chapter's grading only. From the
// repository's root:
//
//   swift test --package-path exercises/09-model-as-a-service
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/readFrame
//
// The stubs in this folder are the module `Exercises09`; Tests/ runs the
// chapter's graders (the library `Graders09`, from exercises/graders) on
// them. Both come from the book's package at ../.., named "Backprop" here
// so that `package: "Backprop"` works whatever the clone's folder is called.

import PackageDescription

let package = Package(
    name: "Exercises09",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Backprop", path: "../..")],
    targets: [
        .target(
            name: "Exercises09",
            dependencies: [
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "BackpropCore", package: "Backprop"),
                .product(name: "ModelAsAService", package: "Backprop"),
            ],
            path: ".",
            exclude: ["Package.swift", "Tests"]),
        .testTarget(
            name: "Exercises09Tests",
            dependencies: [
                "Exercises09",
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "Graders09", package: "Backprop"),
            ],
            path: "Tests"),
    ]
)
