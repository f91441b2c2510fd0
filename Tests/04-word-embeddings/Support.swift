// Shared helpers for chapter 4's tests.

import BackpropCore
import Datasets
import Foundation
@testable import WordEmbeddings

/// Ids stored by the fixtures as whole-number floats.
func ids(_ t: Tensor<Double>) -> [Int] { t.scalars.map { Int($0) } }

/// Rows of ids from a [B, K] tensor.
func idRows(_ t: Tensor<Double>) -> [[Int]] {
    let k = t.shape[1]
    return (0..<t.shape[0]).map { i in (0..<k).map { Int(t.scalars[i * k + $0]) } }
}

/// The largest |a − b| / max(1, |b|).
func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "lengths differ")
    return zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
}

/// The first `characters` characters of tinyshakespeare (cached).
func shakespeare(prefix characters: Int) throws -> String {
    String(try BundledData.shakespeare().prefix(characters))
}

/// Options small enough for DEBUG builds.
func smallOptions(_ model: Word2VecArchitecture = .sgns, seed: UInt64 = 7) -> Word2VecOptions {
    var o = Word2VecOptions(model: model, seed: seed)
    o.dimension = 16
    o.window = 3
    o.negative = 3
    o.minCount = 3
    o.epochs = 1
    o.threads = 1
    return o
}
