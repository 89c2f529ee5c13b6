import Foundation
import StackdCore
@testable import StackdDaemon
import XCTest

/// Every documented maximum and minimum loads without trapping, durations arrive as the
/// nanoseconds computed by hand, and the preallocation budget refuses what would not fit.
final class ConfigurationRangeTests: XCTestCase {
    static let base = """
        [models]
        names = ["a", "b"]
        [stream]
        horizons = [5]
        [input]
        bind = ["tcp://127.0.0.1:1"]
        [output]
        bind = ["tcp://127.0.0.1:2"]

        """

    private func problems(_ text: String) -> [String] {
        do { _ = try ConfigurationLoader.parse(text, source: "r.toml"); return [] }
        catch let e as ConfigurationFileError { return e.problems }
        catch { return ["\(error)"] }
    }

    func testDurationMaximaConvertToTheHandComputedNanoseconds() throws {
        let c = try ConfigurationLoader.parse(Self.base + """
            [assembly]
            deadline_ms = 3600000
            [retrain]
            every_event_seconds = 3153600000
            apply_delay_seconds = 3153600000
            window_age_days = 36500

            """, source: "r.toml")
        XCTAssertEqual(c.pipeline.deadlineNanoseconds, 3_600_000_000_000)
        XCTAssertEqual(c.retrain.everyEventTime, 3_153_600_000_000_000_000)
        XCTAssertEqual(c.retrain.applyDelay, 3_153_600_000_000_000_000)
        XCTAssertEqual(c.retrain.windowAge, 3_153_600_000_000_000_000)   // 36500 × 86400 s
        let fractional = try ConfigurationLoader.parse(Self.base + "[retrain]\nevery_event_seconds = 1.5\nwindow_age_days = 0.5\n", source: "r.toml")
        XCTAssertEqual(fractional.retrain.everyEventTime, 1_500_000_000)
        XCTAssertEqual(fractional.retrain.windowAge, 43_200_000_000_000)
    }

    /// The values that trapped ("Double value cannot be converted to Int64") are refused with the range.
    func testValuesThatOverflowNanosecondsAreRefusedNotTrapped() {
        for (key, value) in [("every_event_seconds", "1e10"), ("every_event_seconds", "9.3e9"), ("apply_delay_seconds", "1e10"),
                             ("window_age_days", "1e6"), ("every_event_seconds", "1e308"), ("apply_delay_seconds", "inf"),
                             ("window_age_days", "nan"), ("every_event_seconds", "-1")] {
            let p = problems(Self.base + "[retrain]\n\(key) = \(value)\n")
            XCTAssertEqual(p.count, 1, "\(key) = \(value): \(p)")
            XCTAssertTrue(p.first?.hasPrefix("r.toml:10: retrain.\(key): must be in 0...") ?? false, "\(p)")
        }
    }

    /// Each numeric key at its documented minimum and maximum (one at a time) loads; one past
    /// either end is refused naming the key. The budget is raised so only the range is tested.
    func testEveryDocumentedBoundLoads() throws {
        for key in ConfigurationKeys.all {
            let bounds: [String], outside: [String]
            switch key.type {
            case .integer(let r):
                bounds = ["\(r.lowerBound)", "\(r.upperBound)"]; outside = ["\(r.lowerBound - 1)", "\(r.upperBound + 1)"]
            case .number(let r), .duration(let r, _):
                bounds = ["\(r.lowerBound)", "\(r.upperBound)"]; outside = ["\(r.lowerBound - 1)", "\(r.upperBound * 2 + 1)"]
            default: continue
            }
            for value in bounds {
                // The budget key's own bounds are tried on a small configuration; the others with
                // a budget that covers them.
                var extra: [(String, String, String)] = key.section == "memory"
                    ? [("labels", "max_awaiting", "0"), ("assembly", "max_pending_rows", "1"), ("retrain", "window_rows", "100")]
                    : [("memory", "max_preallocated_mb", "1048576")]
                if key.path == "assembly.min_models" && value != "1" {
                    extra.append(("models", "names", "[" + (1...64).map { "\"m\($0)\"" }.joined(separator: ", ") + "]"))
                }
                extra.append((key.section, key.name, value))
                XCTAssertEqual(problems(ConfigurationReloadTests.text(extra)), [], "\(key.path) = \(value)")
            }
            for value in outside {
                let p = problems(ConfigurationReloadTests.text([(key.section, key.name, value)]))
                XCTAssertTrue(p.contains { $0.contains(": \(key.path): must be in ") }, "\(key.path) = \(value): \(p)")
            }
        }
    }

    func testAHundredMillionAwaitingLabelsIsRefusedWithTheSize() throws {
        // Hand-computed: M = 2, K = 3, F = 2·3 + 4·2 + 5 = 19 extended features; a slot holds a
        // 16-byte key, a 4-byte version, an 8-byte mask, two 4-byte links and (M+2)·K + F = 31
        // doubles: 284 bytes; 10^8 slots = 28.4e9 B, plus an index of 2^28 entries × 24 B =
        // 6.44e9 B: 34.84e9 B = 32.4 GiB.
        let p = problems(Self.base + "[labels]\nmax_awaiting = 100000000\n")
        XCTAssertEqual(p.count, 1, "\(p)")
        XCTAssertTrue(p.first?.hasPrefix("r.toml:10: labels.max_awaiting: the configuration would preallocate 32.") ?? false, "\(p)")
        XCTAssertTrue(p.first?.contains("labels.max_awaiting 32.4 GiB") ?? false, "\(p)")
        XCTAssertTrue(p.first?.hasSuffix("over memory.max_preallocated_mb = 2048") ?? false, "\(p)")
        // A budget that covers it accepts it (parsing allocates nothing).
        XCTAssertEqual(problems(Self.base + "[labels]\nmax_awaiting = 100000000\n[memory]\nmax_preallocated_mb = 1048576\n"), [])
    }

    func testTheShippedConfigurationsAreWellInsideTheBudget() throws {
        for file in ["examples/stackd.toml", "systemd/stackd.toml"] {
            let url = ConfigurationReferenceTests.repository.appendingPathComponent(file)
            let c = try ConfigurationLoader.parse(String(contentsOf: url, encoding: .utf8), source: file)
            XCTAssertLessThan(PreallocationEstimate(c).totalBytes, 1024 * 1_048_576, file)
        }
    }

    func testDurationConversionRefusesWhatDoesNotFit() {
        XCTAssertEqual(DurationConversion.nanoseconds(1, .seconds), 1_000_000_000)
        XCTAssertEqual(DurationConversion.nanoseconds(9.2e9, .seconds), 9_200_000_000_000_000_000)
        XCTAssertNil(DurationConversion.nanoseconds(9.3e9, .seconds))
        XCTAssertNil(DurationConversion.nanoseconds(.infinity, .days))
        XCTAssertNil(DurationConversion.nanoseconds(.nan, .milliseconds))
    }
}
