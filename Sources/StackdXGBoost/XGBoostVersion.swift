import CXGBoost

/// The version of the libxgboost that this process is linked against.
///
/// Saved models and fixtures are version-sensitive (tree construction details change between
/// releases), so the daemon logs this and tests can tell which library produced a number.
public struct XGBoostVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public let patch: Int

    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// The version reported by the linked library at run time (not the headers compiled against).
    public static var linked: XGBoostVersion {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        CXGBoost.XGBoostVersion(&major, &minor, &patch)
        return XGBoostVersion(major: Int(major), minor: Int(minor), patch: Int(patch))
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (lhs: XGBoostVersion, rhs: XGBoostVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }
}
