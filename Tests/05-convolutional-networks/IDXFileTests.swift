// The IDX reader (Datasets/IDXFile.swift): small valid files built here byte
// by byte, every truncation of them, wrong magic numbers, bad labels,
// mismatched counts, gzip; and the bundled MNIST files, checked against
// counts and pixel sums computed here from their raw bytes.

import BackpropCore
import Datasets
import Foundation
import Testing

/// An IDX file: the magic number and sizes as 32-bit big-endian words, then the body.
func idxBytes(magic: UInt32, sizes: [UInt32], body: [UInt8]) -> [UInt8] {
    func word(_ w: UInt32) -> [UInt8] { [UInt8(w >> 24), UInt8((w >> 16) & 0xFF), UInt8((w >> 8) & 0xFF), UInt8(w & 0xFF)] }
    return word(magic) + sizes.flatMap(word) + body
}

/// Two images of 3 rows × 2 columns, pixels 0, 1, …, 11; three labels.
let smallImages = idxBytes(magic: 0x0000_0803, sizes: [2, 3, 2], body: (0..<12).map(UInt8.init))
let smallLabels = idxBytes(magic: 0x0000_0801, sizes: [3], body: [3, 9, 0])

@Suite struct IDXFileTests {
    @Test("a valid images file and a valid labels file parse to their contents")
    func validFiles() throws {
        let images = try IDXFile.parseImages(smallImages, path: "small-images")
        #expect(images.count == 2 && images.rows == 3 && images.columns == 2)
        #expect(images.pixels == (0..<12).map(UInt8.init))
        #expect(Array(images.image(1)) == (6..<12).map(UInt8.init))
        #expect(try IDXFile.parseLabels(smallLabels, path: "small-labels") == [3, 9, 0])
        let empty = try IDXFile.parseLabels(idxBytes(magic: 0x801, sizes: [0], body: []), path: "empty")
        #expect(empty.isEmpty)
        let d = try IDXFile.dataset(images: images, labels: [4, 7], labelsPath: "l", name: "small")
        #expect(d.features.shape == [2, 6])
        #expect(d.features.row(1).scalars == [6, 7, 8, 9, 10, 11])
        #expect(d.labels == [4, 7])
    }

    @Test("every truncation of an images file is a typed error naming the file and the part cut short")
    func everyImagesTruncation() throws {
        for n in 0..<smallImages.count {
            let error = #expect(throws: IDXError.self) { try IDXFile.parseImages(Array(smallImages[0..<n]), path: "cut.idx3") }
            guard case let .truncated(path, part, needed, available)? = error else {
                Issue.record("prefix of \(n) bytes: \(String(describing: error))")
                continue
            }
            #expect(path == "cut.idx3" && available == n)
            if n < 4 { #expect(part == "magic number" && needed == 4) }
            else if n < 16 { #expect(part == "header" && needed == 16) }
            else { #expect(needed == 28 && part.contains("2 images of 3 × 2")) }
            #expect(error!.description.hasPrefix("cut.idx3: truncated"))
        }
    }

    @Test("every truncation of a labels file is a typed error")
    func everyLabelsTruncation() throws {
        for n in 0..<smallLabels.count {
            let error = #expect(throws: IDXError.self) { try IDXFile.parseLabels(Array(smallLabels[0..<n]), path: "cut.idx1") }
            guard case let .truncated(_, _, needed, available)? = error else {
                Issue.record("prefix of \(n) bytes: \(String(describing: error))")
                continue
            }
            #expect(available == n && needed == (n < 4 ? 4 : n < 8 ? 8 : 11))
        }
    }

    @Test("bytes after the data are an error, not ignored")
    func trailingBytes() throws {
        let error = #expect(throws: IDXError.self) { try IDXFile.parseImages(smallImages + [0, 0], path: "long") }
        #expect(error == .trailingBytes(path: "long", expected: 28, found: 30))
        #expect(error?.description == "long: 2 trailing bytes: the header describes 28 bytes, the file has 30")
        #expect(throws: IDXError.trailingBytes(path: "l", expected: 11, found: 12)) { try IDXFile.parseLabels(smallLabels + [1], path: "l") }
    }

    @Test("a labels file read as images, and the reverse, report the magic found and expected")
    func wrongMagic() throws {
        let e1 = #expect(throws: IDXError.self) { try IDXFile.parseImages(smallLabels, path: "labels-file") }
        #expect(e1 == .badMagic(path: "labels-file", found: 0x801, expected: 0x803))
        #expect(e1?.description.contains("labels-file: magic number is 0x00000801, expected 0x00000803") == true)
        #expect(throws: IDXError.badMagic(path: "x", found: 0x803, expected: 0x801)) { try IDXFile.parseLabels(smallImages, path: "x") }
        // Float data (type 0x0D) is a different magic number too.
        #expect(throws: IDXError.badMagic(path: "f", found: 0xD03, expected: 0x803)) {
            try IDXFile.parseImages(idxBytes(magic: 0xD03, sizes: [1, 1, 1], body: [0, 0, 0, 0]), path: "f")
        }
    }

    @Test("labels outside 0…9 are rejected with their position")
    func badLabel() throws {
        let bytes = idxBytes(magic: 0x801, sizes: [3], body: [1, 10, 2])
        let error = #expect(throws: IDXError.self) { try IDXFile.parseLabels(bytes, path: "labels") }
        #expect(error == .badLabel(path: "labels", index: 1, label: 10, classes: 10))
        #expect(error?.description == "labels: label 1 is 10, expected 0…9")
    }

    @Test("images and labels of different counts are a mismatch naming both files")
    func countMismatch() throws {
        let images = try IDXFile.parseImages(smallImages, path: "imgs")
        let error = #expect(throws: IDXError.self) {
            try IDXFile.dataset(images: images, labels: [3, 9, 0], labelsPath: "lbls", name: "x")
        }
        #expect(error == .countMismatch(imagesPath: "imgs", images: 2, labelsPath: "lbls", labels: 3))
        #expect(error?.description == "imgs holds 2 images but lbls holds 3 labels")
    }

    @Test("corrupt sizes are errors before any allocation: zero rows, huge counts, overflowing products")
    func corruptSizes() throws {
        #expect(throws: IDXError.self) { try IDXFile.parseImages(idxBytes(magic: 0x803, sizes: [1, 0, 5], body: []), path: "z") }
        // 4·10⁹ images of 28×28 would be 3 TB; the file has 16 bytes.
        let huge = #expect(throws: IDXError.self) {
            try IDXFile.parseImages(idxBytes(magic: 0x803, sizes: [4_000_000_000, 28, 28], body: []), path: "huge")
        }
        #expect(huge?.description.hasPrefix("huge: ") == true)
        let overflow = #expect(throws: IDXError.self) {
            try IDXFile.parseImages(idxBytes(magic: 0x803, sizes: [.max, .max, .max], body: [1]), path: "o")
        }
        guard case .badSize? = overflow else { Issue.record("\(String(describing: overflow))"); return }
        #expect(throws: IDXError.truncated(path: "n", part: "4294967295 labels", needed: 8 + 4_294_967_295, available: 10)) {
            try IDXFile.parseLabels(idxBytes(magic: 0x801, sizes: [.max], body: [1, 2]), path: "n")
        }
    }

    @Test("gzip-compressed files are refused with a message saying to gunzip them")
    func gzip() throws {
        let gz: [UInt8] = [0x1F, 0x8B, 0x08, 0x00] + Array(repeating: 0, count: 20)
        let error = #expect(throws: IDXError.self) { try IDXFile.parseImages(gz, path: "train-images-idx3-ubyte") }
        #expect(error == .compressed(path: "train-images-idx3-ubyte"))
        #expect(error?.description.contains("gunzip train-images-idx3-ubyte") == true)
        #expect(throws: IDXError.compressed(path: "t10k-labels-idx1-ubyte.gz")) {
            try IDXFile.parseLabels(smallLabels, path: "t10k-labels-idx1-ubyte.gz")
        }
    }

    @Test("files on disk: errors carry the path; a missing file is unreadable")
    func filesOnDisk() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("images-idx3-ubyte"), labels = dir.appendingPathComponent("labels-idx1-ubyte")
        try Data(smallImages).write(to: images)
        try Data(idxBytes(magic: 0x801, sizes: [2], body: [5, 1])).write(to: labels)
        let d = try IDXFile.dataset(images: images, labels: labels, name: "disk")
        #expect(d.count == 2 && d.labels == [5, 1] && d.featureCount == 6)
        try Data(smallImages.dropLast()).write(to: images)
        let error = #expect(throws: IDXError.self) { try IDXFile.dataset(images: images, labels: labels, name: "disk") }
        #expect(error?.description.hasPrefix(images.path + ": truncated") == true)
        let missing = dir.appendingPathComponent("missing")
        let e2 = #expect(throws: IDXError.self) { try IDXFile.readLabels(missing) }
        guard case .unreadable(let path, _)? = e2 else { Issue.record("\(String(describing: e2))"); return }
        #expect(path == missing.path)
    }
}

/// Read once for the suite (converting 3.9 million pixels is slow in a debug build).
let bundledMNIST = Result { try MNIST.bundled() }

@Suite struct BundledMNISTTests {
    func raw(_ file: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: try BundledData.url(file))) }

    @Test("the bundled files hold 5,000 digits of 28×28, 500 per class, and read as their raw bytes")
    func countsAndPixels() throws {
        let images = try raw(MNIST.imagesFile), labels = try raw(MNIST.labelsFile)
        #expect(images.count == 16 + 5_000 * 784 && labels.count == 8 + 5_000)
        // The counts as written in the headers, read here by hand.
        #expect(Array(images[4..<16]) == [0, 0, 0x13, 0x88, 0, 0, 0, 28, 0, 0, 0, 28])
        #expect(Array(labels[4..<8]) == [0, 0, 0x13, 0x88])
        let d = try bundledMNIST.get()
        #expect(d.count == 5_000 && d.featureCount == 784)
        #expect(d.labels == labels[8...].map { Int($0) })
        for k in 0..<10 { #expect(d.labels.filter { $0 == k }.count == 500, "class \(k)") }
        for i in [0, 1, 2_500, 4_999] {
            let rawSum = images[(16 + 784 * i)..<(16 + 784 * (i + 1))].reduce(0) { $0 + Int($1) }
            let readSum = d.features.row(i).scalars.reduce(0) { $0 + Int($1) }
            #expect(rawSum == readSum && rawSum > 0, "image \(i): raw \(rawSum), read \(readSum)")
        }
        // The whole file: the sum of all 3,920,000 pixel bytes.
        var rawTotal = 0, readTotal = 0.0
        for b in images[16...] { rawTotal += Int(b) }
        for v in d.features.scalars { readTotal += Double(v) }
        #expect(Double(rawTotal) == readTotal)
    }

    @Test("the fixed split: 3,500 / 500 / 1,000, 350 / 50 / 100 of each class, disjoint, the same every time")
    func split() throws {
        let d = try bundledMNIST.get()
        let s = try MNIST.splitIndices(d)
        #expect(s.train.count == 3_500 && s.validation.count == 500 && s.test.count == 1_000)
        #expect(Set(s.train + s.validation + s.test) == Set(0..<5_000))
        for k in 0..<10 {
            #expect(s.train.filter { d.labels[$0] == k }.count == 350)
            #expect(s.validation.filter { d.labels[$0] == k }.count == 50)
            #expect(s.test.filter { d.labels[$0] == k }.count == 100)
        }
        #expect(try MNIST.splitIndices(d) == s)
        // Not sorted by class: the first ten test digits are not all one class.
        #expect(Set(s.test.prefix(10).map { d.labels[$0] }).count > 1)
        let parts = try MNIST.split()
        #expect(parts.test.labels == s.test.map { d.labels[$0] })
        #expect(parts.train.features.row(0).scalars == d.features.row(s.train[0]).scalars)
    }

    @Test("the split's first indices are those chapters/experiments/05-mnist-lenet.py computes")
    func splitMatchesTheReferenceScript() throws {
        let s = try MNIST.splitIndices(try bundledMNIST.get())
        // Printed by `python3 chapters/experiments/05-mnist-lenet.py --print-split`,
        // which reimplements SplitMix64, xoshiro256**, Lemire's bounded
        // integers and the Fisher–Yates shuffle on its own.
        #expect(Array(s.train.prefix(5)) == [1057, 3193, 3199, 4391, 1800])
        #expect(Array(s.validation.prefix(5)) == [4934, 4179, 947, 164, 4657])
        #expect(Array(s.test.prefix(5)) == [124, 811, 471, 3036, 4382])
    }

    @Test("a stratified split needs room for a test part")
    func badFractions() throws {
        let d = try bundledMNIST.get()
        #expect(throws: TensorError.self) { try d.stratifiedSplit(trainFraction: 0.9, validationFraction: 0.1, seed: 1) }
    }
}
