/// Order statistics of a buffer without sorting it.
///
/// A reference for PSI needs its minimum and nine deciles per series, twelve series per retrain:
/// a full sort of every column was half of a replay's ingest time once retraining was on
/// (bench/RESULTS.md §5e). Quickselect finds the same values — a rank's value does not depend on
/// how it is found — in expected linear time per rank range.
enum OrderStatistics {
    /// Rearranges `values` so that for every rank `r` in `ranks` (ascending; repeats allowed),
    /// `values[r]` is the value a full ascending sort would put there. Deterministic: the pivot
    /// is the median of the range's first, middle and last values.
    static func select(_ values: UnsafeMutableBufferPointer<Double>, ranks: [Int]) {
        guard !values.isEmpty else { return }
        var lo = 0, previous = -1
        for r in ranks where r != previous {
            precondition(r > previous && r < values.count, "ranks must be ascending and inside the buffer")
            selectRank(values, lo: lo, hi: values.count - 1, rank: r)
            // Everything after rank r is ≥ values[r]: the next rank lies in (r, end].
            lo = r + 1
            previous = r
        }
    }

    private static func selectRank(_ v: UnsafeMutableBufferPointer<Double>, lo: Int, hi: Int, rank k: Int) {
        var lo = lo, hi = hi
        while hi > lo {
            let mid = lo + (hi - lo) / 2
            if v[mid] < v[lo] { v.swapAt(mid, lo) }
            if v[hi] < v[lo] { v.swapAt(hi, lo) }
            if v[hi] < v[mid] { v.swapAt(hi, mid) }
            let pivot = v[mid]
            // Hoare partition: afterwards [lo, j] ≤ pivot ≤ [i, hi], and (j, i) equals the pivot.
            var i = lo, j = hi
            while i <= j {
                while v[i] < pivot { i += 1 }
                while v[j] > pivot { j -= 1 }
                if i <= j {
                    v.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                hi = j
            } else if k >= i {
                lo = i
            } else {
                return
            }
        }
    }
}
