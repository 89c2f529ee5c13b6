#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One challenger's prequential score on one horizon, beside the served ensemble's (the
/// champion's) on exactly the same rows: a row emitted before the challenger's first model was
/// installed is scored for neither, so the two numbers are always comparable.
///
/// Kept cumulatively and over the last `window` labelled rows (a ring of both log-losses), the
/// evidence a challenger must show before it may replace the champion
/// (`learner.challenger_min_rows`). The ring's sums are recomputed from the ring at every
/// wrap, so rounding never accumulates beyond one window's worth of additions.
public struct ChallengerScore: Sendable {
    /// The challenger's cumulative score.
    public private(set) var challenger = ScoreAccumulator()
    /// The served ensemble's cumulative score on the same rows.
    public private(set) var champion = ScoreAccumulator()
    /// Rows in the recent ring (0: only the cumulative scores are kept).
    public let window: Int
    private var challengerLosses: [Double]
    private var championLosses: [Double]
    private var position = 0
    /// Rows in the ring (≤ `window`).
    public private(set) var recentCount = 0
    private var recentChallengerSum = 0.0
    private var recentChampionSum = 0.0

    public init(window: Int) {
        self.window = max(window, 0)
        challengerLosses = Array(repeating: 0, count: self.window)
        championLosses = Array(repeating: 0, count: self.window)
    }

    /// Scores one labelled row: `p` is the challenger's K probabilities, `championLoss` the served
    /// ensemble's log-loss on the same row (as the scoreboard computed it).
    @inline(__always)
    public mutating func add(_ p: UnsafeBufferPointer<Double>, label: Int, champion e: UnsafeBufferPointer<Double>) {
        let loss = challenger.add(p, label: label).logLoss
        let championLoss = champion.add(e, label: label).logLoss
        guard window > 0 else { return }
        if recentCount == window {
            recentChallengerSum -= challengerLosses[position]
            recentChampionSum -= championLosses[position]
        } else {
            recentCount += 1
        }
        challengerLosses[position] = loss
        championLosses[position] = championLoss
        recentChallengerSum += loss
        recentChampionSum += championLoss
        position += 1
        if position == window {
            position = 0
            recentChallengerSum = 0
            recentChampionSum = 0
            for i in 0..<window {
                recentChallengerSum += challengerLosses[i]
                recentChampionSum += championLosses[i]
            }
        }
    }

    /// Mean log-loss over the ring (NaN when empty).
    public var recentLogLoss: Double { recentCount > 0 ? recentChallengerSum / Double(recentCount) : .nan }
    /// The champion's mean log-loss over the same rows (NaN when empty).
    public var recentChampionLogLoss: Double { recentCount > 0 ? recentChampionSum / Double(recentCount) : .nan }

    /// The numbers without the ring: what metrics, snapshots and training requests carry.
    public func standing(name: String) -> ChallengerStanding {
        ChallengerStanding(name: name, challenger: challenger, champion: champion, window: window, recentCount: recentCount,
                           recentLogLoss: recentLogLoss, recentChampionLogLoss: recentChampionLogLoss)
    }
}

/// A challenger's scores on one horizon at one moment (see `ChallengerScore`).
public struct ChallengerStanding: Sendable, Equatable {
    /// The challenger's learner name (`learner.challengers`).
    public var name: String
    public var challenger: ScoreAccumulator
    public var champion: ScoreAccumulator
    public var window: Int
    public var recentCount: Int
    public var recentLogLoss: Double
    public var recentChampionLogLoss: Double

    public init(name: String, challenger: ScoreAccumulator, champion: ScoreAccumulator, window: Int, recentCount: Int,
                recentLogLoss: Double, recentChampionLogLoss: Double) {
        self.name = name
        self.challenger = challenger
        self.champion = champion
        self.window = window
        self.recentCount = recentCount
        self.recentLogLoss = recentLogLoss
        self.recentChampionLogLoss = recentChampionLogLoss
    }

    /// Whether the challenger has beaten the champion over a full window of `minRows` live
    /// labelled rows (strictly lower mean log-loss; a tie is not evidence). False when
    /// `minRows` is 0 or more than the window kept.
    public func beatsChampion(minRows: Int) -> Bool {
        minRows > 0 && window >= minRows && recentCount >= minRows && recentLogLoss < recentChampionLogLoss
    }
}
