import Foundation

/// Paths inside this checkout, found from this file's own path so tests run from any directory.
package enum Repository {
    /// The package root (the directory holding `Package.swift`).
    package static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The debug `stackd` binary that `swift build --build-tests` leaves, which tests run as a child
    /// process (`STACKD_BINARY` overrides it, e.g. to test a release build).
    package static var stackdBinary: URL {
        ProcessInfo.processInfo.environment["STACKD_BINARY"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent(".build/debug/stackd")
    }

    /// The project's virtual environment's Python (pyzmq, the client package), which
    /// `scripts/install-deps.sh` creates; tests run their Python peers with it.
    package static var python: URL { root.appendingPathComponent(".venv/bin/python") }
}
