// Tensor: an n-dimensional array stored row-major in one contiguous buffer.
//
// Contract
// - `shape` lists the dimensions, outermost first; `scalars` holds
//   `shape.reduce(1, *)` elements, the last index varying fastest.
//   Element (i, j) of a matrix of shape [rows, cols] is `scalars[i * cols + j]`.
// - A Tensor is a value: copies share storage until one is written
//   (copy-on-write, inherited from `Array`). Hot loops take raw pointers with
//   `withUnsafeBufferPointer` so they pay neither bounds checks nor
//   copy-on-write checks.
// - Constructors and operations that receive shapes from a caller validate
//   them and throw `TensorError`; kernels below them trust their arguments.

/// A row-major, contiguous n-dimensional array of `Float` or `Double`.
public struct Tensor<Scalar: TensorScalar>: Equatable, Sendable {
    @usableFromInline var _shape: [Int]
    /// The dimensions, outermost first. A scalar tensor has shape `[]`.
    @inlinable public var shape: [Int] { _shape }
    /// The elements in row-major order.
    public var scalars: [Scalar]

    /// Creates a tensor from its shape and row-major elements.
    /// - Throws: `TensorError` if a dimension is negative or the element count
    ///   does not match the shape.
    public init(shape: [Int], scalars: [Scalar]) throws {
        try Tensor.validate(shape: shape)
        let count = shape.reduce(1, *)
        guard count == scalars.count else {
            throw TensorError.countMismatch(shape: shape, expected: count, got: scalars.count)
        }
        self._shape = shape
        self.scalars = scalars
    }

    /// Creates a tensor of the given shape with every element equal to `value`.
    @inlinable
    public init(shape: [Int], repeating value: Scalar) throws {
        try Tensor.validate(shape: shape)
        self._shape = shape
        self.scalars = Scalar.array(repeating: value, count: shape.reduce(1, *))
    }

    /// Creates a tensor of zeros.
    @inlinable
    public static func zeros(_ shape: [Int]) throws -> Tensor {
        try Tensor(shape: shape, repeating: 0)
    }

    /// Creates a matrix from nested rows; every row must have the same length.
    public init(rows: [[Scalar]]) throws {
        let cols = rows.first?.count ?? 0
        for (i, row) in rows.enumerated() where row.count != cols {
            throw TensorError.invalidShape(
                operation: "Tensor(rows:)", shape: [rows.count, cols],
                reason: "row \(i) has \(row.count) elements, row 0 has \(cols)")
        }
        try self.init(shape: [rows.count, cols], scalars: rows.flatMap { $0 })
    }

    /// Creates a rank-1 tensor.
    public init(_ vector: [Scalar]) {
        self._shape = [vector.count]
        self.scalars = vector
    }

    /// Internal constructor for kernels that already guarantee the count.
    @usableFromInline init(uncheckedShape shape: [Int], scalars: [Scalar]) {
        precondition(shape.reduce(1, *) == scalars.count, "Tensor: count does not match shape")
        self._shape = shape
        self.scalars = scalars
    }

    @usableFromInline
    static func validate(shape: [Int]) throws {
        if let bad = shape.first(where: { $0 < 0 }) {
            throw TensorError.invalidShape(
                operation: "Tensor", shape: shape, reason: "dimension \(bad) is negative")
        }
    }

    // MARK: Shape

    /// The number of elements.
    @inlinable public var count: Int { scalars.count }
    /// The number of dimensions.
    @inlinable public var rank: Int { shape.count }

    /// The two dimensions of a matrix.
    /// - Throws: `TensorError.invalidShape` if the tensor is not rank 2.
    @inlinable
    public func matrixShape(_ operation: String) throws -> (rows: Int, cols: Int) {
        guard shape.count == 2 else {
            throw TensorError.invalidShape(
                operation: operation, shape: shape, reason: "expected a matrix (rank 2)")
        }
        return (shape[0], shape[1])
    }

    /// A tensor of rank ≥ 2 seen as a matrix whose rows are every position of
    /// the leading dimensions and whose columns are the last dimension: the
    /// "features last" convention of every layer that acts on features
    /// ([n, C] rows, or [batch, time, C] sequences).
    /// - Throws: `TensorError.invalidShape` for a rank below 2.
    @inlinable
    public func flattenedRows(_ operation: String) throws -> Tensor {
        guard shape.count >= 2 else {
            throw TensorError.invalidShape(
                operation: operation, shape: shape, reason: "expected [rows, features] or [batch, time, features]")
        }
        return shape.count == 2 ? self : Tensor(uncheckedShape: [count / shape[shape.count - 1], shape[shape.count - 1]], scalars: scalars)
    }

    /// The same elements seen with another shape of equal element count.
    @inlinable
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor.validate(shape: newShape)
        guard newShape.reduce(1, *) == count else {
            throw TensorError.shapeMismatch(
                operation: "reshape", lhs: shape, rhs: newShape,
                reason: "element counts \(count) and \(newShape.reduce(1, *)) differ")
        }
        return Tensor(uncheckedShape: newShape, scalars: scalars)
    }

    /// Throws unless `other` has exactly this shape.
    @inlinable
    public func requireSameShape<S>(_ other: Tensor<S>, _ operation: String) throws {
        guard shape == other.shape else {
            throw TensorError.shapeMismatch(
                operation: operation, lhs: shape, rhs: other.shape, reason: "shapes must be equal")
        }
    }

    // MARK: Elements

    /// The flat offset of a multi-index (row-major).
    @inlinable func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor: index rank \(index.count) ≠ \(shape.count)")
        var flat = 0
        for (i, dim) in zip(index, shape) {
            precondition(i >= 0 && i < dim, "Tensor: index \(index) out of bounds for \(shape)")
            flat = flat * dim + i
        }
        return flat
    }

    /// The element at a multi-index, e.g. `t[i, j]` for a matrix.
    @inlinable public subscript(_ index: Int...) -> Scalar {
        get { scalars[offset(index)] }
        set { scalars[offset(index)] = newValue }
    }

    /// Row `i` of a matrix, as a new rank-1 tensor.
    public func row(_ i: Int) -> Tensor {
        precondition(rank == 2 && i >= 0 && i < shape[0], "Tensor.row: \(i) out of range for \(shape)")
        let cols = shape[1]
        return Tensor(Array(scalars[(i * cols)..<((i + 1) * cols)]))
    }

    /// The rows with the given indices, stacked into a new matrix (a minibatch).
    @inlinable
    public func rows<C: Collection>(_ indices: C) -> Tensor where C.Element == Int {
        precondition(rank == 2, "Tensor.rows: not a matrix")
        let cols = shape[1]
        var out: [Scalar] = []
        out.reserveCapacity(indices.count * cols)
        for i in indices { out.append(contentsOf: scalars[(i * cols)..<((i + 1) * cols)]) }
        return Tensor(uncheckedShape: [indices.count, cols], scalars: out)
    }

    /// The same values converted to another scalar type (e.g. `Float` → `Double`).
    @inlinable
    public func converted<T: TensorScalar>(to: T.Type = T.self) -> Tensor<T> {
        Tensor<T>(uncheckedShape: shape, scalars: scalars.map { T($0) })
    }

    /// Reads the elements through a raw buffer (no bounds checks, no copy).
    @inlinable public func withUnsafeBufferPointer<R>(
        _ body: (UnsafeBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Writes the elements through a raw buffer (copies once if shared).
    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(shape)[\(shown)\(count > 8 ? ", …" : "")]"
    }
}
