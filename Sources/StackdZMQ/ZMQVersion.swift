import CZeroMQ

/// The version of the libzmq actually loaded at run time, which may differ from the headers
/// the package was compiled against; logging it at startup makes distribution mismatches visible.
public struct ZMQVersion: Comparable, CustomStringConvertible, Sendable {
    /// Incompatible API changes.
    public let major: Int
    /// Compatible additions, e.g. draft sockets becoming stable.
    public let minor: Int
    /// Fixes only.
    public let patch: Int

    public init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// The loaded library's version, from `zmq_version`.
    public static var current: ZMQVersion {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return ZMQVersion(major: Int(major), minor: Int(minor), patch: Int(patch))
    }

    public static func < (lhs: ZMQVersion, rhs: ZMQVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}
