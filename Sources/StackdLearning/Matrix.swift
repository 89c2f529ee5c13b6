/// A dense row-major matrix of `Double`s.
///
/// Design matrices for the meta-learners are small (tens of columns) and tall (thousands to
/// millions of rows); keeping each row contiguous lets the fitting kernels walk one row at a time
/// with a single pointer, which is what both the fused loss/gradient sweep and the hot-path
/// prediction want.
public struct Matrix: Sendable, Equatable, Codable {
    /// Number of rows (observations).
    public let rows: Int
    /// Number of columns (features).
    public let cols: Int
    /// Row-major storage: element `(r, c)` lives at `r * cols + c`.
    public private(set) var storage: [Double]

    /// A `rows × cols` matrix with every element set to `value`.
    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        self.storage = [Double](repeating: value, count: rows * cols)
    }

    /// Wraps existing row-major storage; its count must be `rows * cols`.
    public init(rows: Int, cols: Int, storage: [Double]) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative")
        precondition(storage.count == rows * cols, "storage count \(storage.count) != \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// Builds a matrix from equally long rows (convenient in tests and small fixtures).
    public init(rowArrays: [[Double]]) {
        let c = rowArrays.first?.count ?? 0
        var s: [Double] = []
        s.reserveCapacity(rowArrays.count * c)
        for r in rowArrays {
            precondition(r.count == c, "ragged rows: expected \(c) columns, got \(r.count)")
            s.append(contentsOf: r)
        }
        self.init(rows: rowArrays.count, cols: c, storage: s)
    }

    /// Element access; bounds are checked.
    public subscript(row: Int, col: Int) -> Double {
        get {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols, "Matrix index out of range")
            return storage[row * cols + col]
        }
        set {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols, "Matrix index out of range")
            storage[row * cols + col] = newValue
        }
    }

    /// A copy of one row.
    public func row(_ r: Int) -> [Double] {
        precondition(r >= 0 && r < rows, "Matrix row out of range")
        return Array(storage[(r * cols)..<((r + 1) * cols)])
    }

    /// Lends one row as a buffer without copying: the form the allocation-free predictors take.
    public func withRow<R>(_ r: Int, _ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        precondition(r >= 0 && r < rows, "Matrix row out of range")
        return try storage.withUnsafeBufferPointer { buf in
            try body(UnsafeBufferPointer(rebasing: buf[(r * cols)..<((r + 1) * cols)]))
        }
    }

    /// Mutable access to the whole row-major storage (used to fill matrices without copies).
    public mutating func withUnsafeMutableStorage<R>(
        _ body: (UnsafeMutableBufferPointer<Double>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// The rows at `indices`, in that order (train/test subsets of a design matrix).
    public func selectingRows(_ indices: [Int]) -> Matrix {
        var s = [Double](repeating: 0, count: indices.count * cols)
        for (o, r) in indices.enumerated() {
            precondition(r >= 0 && r < rows, "Matrix row out of range")
            for c in 0..<cols { s[o * cols + c] = storage[r * cols + c] }
        }
        return Matrix(rows: indices.count, cols: cols, storage: s)
    }

    /// The columns at `indices`, in that order (feature-set subsets such as "ext" vs "ext+regime").
    public func selectingColumns(_ indices: [Int]) -> Matrix {
        for c in indices { precondition(c >= 0 && c < cols, "Matrix column out of range") }
        var s = [Double](repeating: 0, count: rows * indices.count)
        for r in 0..<rows {
            for (o, c) in indices.enumerated() { s[r * indices.count + o] = storage[r * cols + c] }
        }
        return Matrix(rows: rows, cols: indices.count, storage: s)
    }
}
