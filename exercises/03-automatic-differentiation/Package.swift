// swift-tools-version:6.0
//
// Chapter 3's exercises, a package of their own: an answer that does not
// compile or crashes affects this chapter's grading only. From the
// repository's root:
//
//   swift test --package-path exercises/03-automatic-differentiation
//   swift test --package-path exercises/03-automatic-differentiation --filter Chapter03Exercises/maximum
//
// The stubs in this folder are the module `Exercises03`; Tests/ runs the
// chapter's graders (the library `Graders03`, from exercises/graders) on
// them. Both come from the book's package at ../.., named "Backprop" here
// so that `package: "Backprop"` works whatever the clone's folder is called.

import PackageDescription

let package = Package(
    name: "Exercises03",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Backprop", path: "../..")],
    targets: [
        .target(
            name: "Exercises03",
            dependencies: [
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "BackpropCore", package: "Backprop"),
                .product(name: "Backpropagation", package: "Backprop"),
                .product(name: "AutomaticDifferentiation", package: "Backprop"),
            ],
            path: ".",
            exclude: ["Package.swift", "Tests"]),
        .testTarget(
            name: "Exercises03Tests",
            dependencies: [
                "Exercises03",
                .product(name: "ExerciseKit", package: "Backprop"),
                .product(name: "Graders03", package: "Backprop"),
            ],
            path: "Tests"),
    ]
)
