/// Calendar arithmetic for `YYYY-MM-DD` timestamps without Foundation.
///
/// The stream's timestamps are calendar dates interpreted as midnight UTC. Date formatters are slow
/// and locale-sensitive; the proleptic-Gregorian day count (Howard Hinnant's `days_from_civil`) is
/// exact, branch-light and allocation-free, so parsing tens of thousands of rows stays cheap.
public enum CivilDate {
    /// Nanoseconds in one day.
    public static let nanosecondsPerDay: Int64 = 86_400 * 1_000_000_000

    /// Days since 1970-01-01 of a proleptic-Gregorian date (month 1...12, day 1...31).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The (year, month, day) of a day count since 1970-01-01; inverse of `daysFromCivil`.
    public static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// Days in a month of the proleptic Gregorian calendar.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses exactly `YYYY-MM-DD` (ASCII) into UTC nanoseconds since the epoch; `nil` if malformed
    /// or not a real date.
    public static func epochNanoseconds<C: Collection>(parsing bytes: C) -> Int64? where C.Element == UInt8 {
        guard bytes.count == 10 else { return nil }
        var year = 0, month = 0, day = 0
        var i = 0
        for b in bytes {
            if i == 4 || i == 7 {
                guard b == UInt8(ascii: "-") else { return nil }
            } else {
                guard b >= 48 && b <= 57 else { return nil }
                let v = Int(b) - 48
                if i < 4 { year = year * 10 + v } else if i < 7 { month = month * 10 + v } else { day = day * 10 + v }
            }
            i += 1
        }
        guard month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year: year, month: month) else {
            return nil
        }
        return daysFromCivil(year: year, month: month, day: day) * nanosecondsPerDay
    }

    /// Parses a `YYYY-MM-DD` string into UTC nanoseconds since the epoch.
    public static func epochNanoseconds(_ text: String) -> Int64? {
        epochNanoseconds(parsing: Array(text.utf8))
    }

    /// Formats UTC nanoseconds since the epoch (truncated to the day) as `YYYY-MM-DD`.
    public static func dateString(epochNanoseconds ns: Int64) -> String {
        var days = ns / nanosecondsPerDay
        if ns % nanosecondsPerDay < 0 { days -= 1 }
        let (y, m, d) = civilFromDays(days)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }
}
