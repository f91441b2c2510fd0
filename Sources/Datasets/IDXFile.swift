// IDXFile: the file format of MNIST and Fashion-MNIST (LeCun et al., 1998).
//
// An IDX file is a big-endian header followed by the data, row-major:
//
//   bytes 0–1   zero
//   byte  2     the element type: 0x08 = unsigned byte (the only one read here)
//   byte  3     the number of dimensions: 3 for images, 1 for labels
//   then        one 32-bit big-endian size per dimension
//   then        the elements, one byte each
//
//   images  magic 0x00000803, count, rows, columns, then count·rows·columns pixels 0–255
//   labels  magic 0x00000801, count, then count labels 0–9
//
// Contract
// - Every size in the header is checked against the file's length before
//   anything proportional to those sizes is allocated: a corrupted count
//   cannot ask for gigabytes. A file shorter than its header promises is
//   "truncated"; a longer one has "trailing bytes". Both are errors.
// - Every error is an `IDXError` whose message names the file and the problem.
// - The full MNIST and Fashion-MNIST files (60,000 + 10,000 images) read
//   unchanged. Gzip-compressed files (as they are usually downloaded, *.gz)
//   are recognised by their first two bytes, 0x1f 0x8b, and refused with a
//   message saying to run gunzip first: decompressing would need a DEFLATE
//   decoder, which is not this book's subject.

import BackpropCore
import Foundation

/// A problem with an IDX file; the message names the file.
public enum IDXError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(path: String, reason: String)
    case compressed(path: String)
    case badMagic(path: String, found: UInt32, expected: UInt32)
    case truncated(path: String, part: String, needed: Int, available: Int)
    case trailingBytes(path: String, expected: Int, found: Int)
    case badSize(path: String, reason: String)
    case badLabel(path: String, index: Int, label: Int, classes: Int)
    case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)

    public var description: String {
        func hex(_ m: UInt32) -> String { String(format: "0x%08X", m) }
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read the file: \(reason)"
        case let .compressed(path):
            return "\(path): the file is gzip-compressed; decompress it first (gunzip \(path)) and pass the result"
        case let .badMagic(path, found, expected):
            return "\(path): magic number is \(hex(found)), expected \(hex(expected))"
                + (expected == IDXFile.imagesMagic ? " (an IDX file of images)" : " (an IDX file of labels)")
        case let .truncated(path, part, needed, available):
            return "\(path): truncated: the \(part) needs \(needed) bytes, the file has \(available)"
        case let .trailingBytes(path, expected, found):
            return "\(path): \(found - expected) trailing bytes: the header describes \(expected) bytes, the file has \(found)"
        case let .badSize(path, reason):
            return "\(path): \(reason)"
        case let .badLabel(path, index, label, classes):
            return "\(path): label \(index) is \(label), expected 0…\(classes - 1)"
        case let .countMismatch(imagesPath, images, labelsPath, labels):
            return "\(imagesPath) holds \(images) images but \(labelsPath) holds \(labels) labels"
        }
    }
}

/// The images of an IDX file: `count` images of `rows` × `columns` bytes.
public struct IDXImages: Sendable {
    public let path: String
    public let count: Int, rows: Int, columns: Int
    /// count · rows · columns grey levels 0–255, image after image, row-major.
    public let pixels: [UInt8]

    /// The pixels of one image.
    public func image(_ i: Int) -> ArraySlice<UInt8> {
        pixels[(i * rows * columns)..<((i + 1) * rows * columns)]
    }
}

/// Reads IDX image and label files.
public enum IDXFile {
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// The bytes of a file, refusing gzip-compressed ones.
    static func bytes(_ url: URL) throws -> [UInt8] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw IDXError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return [UInt8](data)
    }

    /// Reads an images file (magic 0x00000803).
    public static func readImages(_ url: URL) throws -> IDXImages {
        try parseImages(try bytes(url), path: url.path)
    }

    /// Reads a labels file (magic 0x00000801) whose labels are in 0..<classes.
    public static func readLabels(_ url: URL, classes: Int = 10) throws -> [UInt8] {
        try parseLabels(try bytes(url), path: url.path, classes: classes)
    }

    /// The header's 32-bit big-endian words after checking the magic and
    /// that the file is long enough to hold them.
    static func header(_ b: [UInt8], path: String, magic: UInt32, dimensions: Int) throws -> [Int] {
        if b.count >= 2, b[0] == 0x1F, b[1] == 0x8B { throw IDXError.compressed(path: path) }
        if path.hasSuffix(".gz") { throw IDXError.compressed(path: path) }
        let length = 4 * (1 + dimensions)
        guard b.count >= 4 else {
            throw IDXError.truncated(path: path, part: "magic number", needed: 4, available: b.count)
        }
        func word(_ at: Int) -> UInt32 {
            (UInt32(b[at]) << 24) | (UInt32(b[at + 1]) << 16) | (UInt32(b[at + 2]) << 8) | UInt32(b[at + 3])
        }
        let found = word(0)
        guard found == magic else { throw IDXError.badMagic(path: path, found: found, expected: magic) }
        guard b.count >= length else {
            throw IDXError.truncated(path: path, part: "header", needed: length, available: b.count)
        }
        return (1...dimensions).map { Int(word(4 * $0)) }
    }

    /// Checks that the data after a header of `headerLength` bytes is exactly
    /// `sizes.product` bytes long, without overflowing on a corrupt size.
    static func requireBody(_ b: [UInt8], path: String, headerLength: Int, sizes: [Int], part: String) throws -> Int {
        var total = 1
        for s in sizes {
            let (t, overflow) = total.multipliedReportingOverflow(by: s)
            guard !overflow, t <= Int(Int32.max) * 4 else {
                throw IDXError.badSize(path: path, reason: "the header's sizes \(sizes) describe more data than any IDX file holds")
            }
            total = t
        }
        let needed = headerLength + total
        if b.count < needed { throw IDXError.truncated(path: path, part: part, needed: needed, available: b.count) }
        if b.count > needed { throw IDXError.trailingBytes(path: path, expected: needed, found: b.count) }
        return total
    }

    /// Parses the bytes of an images file; `path` names it in errors.
    public static func parseImages(_ b: [UInt8], path: String) throws -> IDXImages {
        let sizes = try header(b, path: path, magic: imagesMagic, dimensions: 3)
        let (count, rows, columns) = (sizes[0], sizes[1], sizes[2])
        guard rows > 0, columns > 0 else {
            throw IDXError.badSize(path: path, reason: "images of \(rows) × \(columns) pixels: both sizes must be positive")
        }
        let total = try requireBody(b, path: path, headerLength: 16, sizes: sizes,
                                    part: "\(count) images of \(rows) × \(columns) pixels")
        return IDXImages(path: path, count: count, rows: rows, columns: columns, pixels: Array(b[16..<(16 + total)]))
    }

    /// Parses the bytes of a labels file; every label must be in 0..<classes.
    public static func parseLabels(_ b: [UInt8], path: String, classes: Int = 10) throws -> [UInt8] {
        let count = try header(b, path: path, magic: labelsMagic, dimensions: 1)[0]
        _ = try requireBody(b, path: path, headerLength: 8, sizes: [count], part: "\(count) labels")
        let labels = Array(b[8...])
        if let i = labels.firstIndex(where: { Int($0) >= classes }) {
            throw IDXError.badLabel(path: path, index: i, label: Int(labels[i]), classes: classes)
        }
        return labels
    }

    /// Pairs an images file with its labels: features [count, rows·columns]
    /// as grey levels 0–255 (unscaled), one label per image.
    /// - Throws: `IDXError` for either file, or `.countMismatch` when they
    ///   hold different numbers of examples.
    public static func dataset(images: IDXImages, labels: [UInt8], labelsPath: String, name: String,
                               classNames: [String] = (0..<10).map(String.init)) throws -> Dataset {
        guard images.count == labels.count else {
            throw IDXError.countMismatch(imagesPath: images.path, images: images.count, labelsPath: labelsPath, labels: labels.count)
        }
        if let i = labels.firstIndex(where: { Int($0) >= classNames.count }) {
            throw IDXError.badLabel(path: labelsPath, index: i, label: Int(labels[i]), classes: classNames.count)
        }
        let pixels = images.pixels
        let scalars = [Float](unsafeUninitializedCapacity: pixels.count) { out, initialized in
            pixels.withUnsafeBufferPointer { p in
                for i in 0..<p.count { out[i] = Float(p[i]) }
            }
            initialized = pixels.count
        }
        let features = try Tensor<Float>(shape: [images.count, images.rows * images.columns], scalars: scalars)
        return try Dataset(name: name, features: features, labels: labels.map { Int($0) }, classNames: classNames)
    }

    /// Reads an images file and a labels file (e.g. MNIST's
    /// train-images-idx3-ubyte and train-labels-idx1-ubyte) into a dataset.
    public static func dataset(images: URL, labels: URL, name: String,
                               classNames: [String] = (0..<10).map(String.init)) throws -> Dataset {
        let i = try readImages(images)
        let l = try readLabels(labels, classes: classNames.count)
        return try dataset(images: i, labels: l, labelsPath: labels.path, name: name, classNames: classNames)
    }
}
