import StackdLearning

/// The label-only baselines a stacked model must beat to be worth anything: they know nothing
/// about the market beyond the labels already seen, so beating them shows the models carry signal.
///
/// "Prequential" means each row is predicted from the labels of the rows before it (in label
/// order, the order the pipeline learns labels in), never from its own or later labels.
public enum PrequentialBaselines {
    /// Per row, the label frequencies of the earlier rows; uniform (1/K each) before the first label.
    /// A class not yet seen gets probability 0, whose log-loss the 1e-15 clip bounds.
    public static func classPrior(labels: [Int], classes: Int = 3) -> Matrix {
        var out = Matrix(rows: labels.count, cols: classes)
        var counts = [Int](repeating: 0, count: classes)
        for (i, y) in labels.enumerated() {
            let seen = counts.reduce(0, +)
            for c in 0..<classes {
                out[i, c] = seen == 0 ? 1 / Double(classes) : Double(counts[c]) / Double(seen)
            }
            counts[y] += 1
        }
        return out
    }

    /// Per row, one-hot on the most frequent class among the earlier rows (ties to the lowest
    /// index, as arg-max; class 0 before the first label). Its log-loss is the clip's
    /// −ln(1e-15) ≈ 34.5 on every miss: what a hard 0/1 forecast costs.
    public static func alwaysMajority(labels: [Int], classes: Int = 3) -> Matrix {
        var out = Matrix(rows: labels.count, cols: classes)
        var counts = [Int](repeating: 0, count: classes)
        for (i, y) in labels.enumerated() {
            var best = 0
            for c in 1..<classes where counts[c] > counts[best] { best = c }
            out[i, best] = 1
            counts[y] += 1
        }
        return out
    }

    /// One-hot on `classIndex` for every row (always long: class 2).
    public static func constant(classIndex: Int, rows: Int, classes: Int = 3) -> Matrix {
        var out = Matrix(rows: rows, cols: classes)
        for i in 0..<rows { out[i, classIndex] = 1 }
        return out
    }
}
