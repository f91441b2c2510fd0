// Reference solution to exercise 9.4: keys and values, per layer, per
// key/value head, per token, per sequence.

import ExerciseKit

public func kvCacheBytes(
    layers: Int, heads: Int, kvHeads: Int, headDimension: Int, tokens: Int, batch: Int, bytesPerValue: Int
) throws -> Int {
    2 * layers * kvHeads * headDimension * tokens * batch * bytesPerValue
}
