import ArgumentParser
import Foundation
import StackdDaemon

/// `stackd models`: the versioned model store under `<state>/models/` (see schemas/model-store.md).
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the stored model versions per horizon, or roll a horizon back to an earlier one.",
        discussion: "Versions are checked against the layout recorded in their meta_config.json. A running daemon picks a rollback up on restart.",
        subcommands: [List.self, Rollback.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stored versions (* marks the current one).")

        @Option(help: "The state directory ([state] directory).")
        var state: String

        @Option(help: "Only this horizon.")
        var horizon: Int?

        func run() throws {
            do {
                print(try ModelStoreCommands.list(state: state, horizon: horizon), terminator: "")
            } catch {
                FileHandle.standardError.write(Data("stackd models list: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an earlier version current (default: the previous valid one).",
            discussion: "VERSION is v000003, 3 or averaging. Unknown or invalid versions are refused and CURRENT is left as it was.")

        @Option(help: "The state directory ([state] directory).")
        var state: String

        @Option(help: "The horizon to roll back.")
        var horizon: Int

        @Option(help: "The version to make current (default: the previous valid one).")
        var to: String?

        func run() throws {
            do {
                print(try ModelStoreCommands.rollback(state: state, horizon: horizon, to: to), terminator: "")
            } catch let error as ModelStoreError {
                FileHandle.standardError.write(Data("stackd models rollback: \(error.description)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
