/// A recurrence rule as RFC 5545 writes it (`FREQ=WEEKLY;BYDAY=TU;COUNT=12`), the part of it a booking
/// series needs: `FREQ` DAILY, WEEKLY or MONTHLY; `INTERVAL`; `COUNT` or `UNTIL`; `BYDAY` (weekdays, with an
/// ordinal in a month: `1MO`, `-1FR`); `BYMONTHDAY` (1 to 31, or -1 to -31 from the month's end). Weeks start
/// on Monday (`WKST=MO`, the only one accepted).
///
/// A rule repeats a first occurrence **in local dates**: it names the dates on which the series' later
/// occurrences fall, and each keeps the first one's local wall time and length (so 18:00 stays 18:00
/// across a change of offset). The first occurrence is always the first, as RFC 5545 counts `DTSTART`.
public struct RecurrenceRule: Hashable, Sendable, CustomStringConvertible {
    public enum Frequency: String, Sendable, CaseIterable {
        case daily = "DAILY", weekly = "WEEKLY", monthly = "MONTHLY"
    }

    /// A weekday (1 is Monday), with an ordinal within a month (`1MO`: the first Monday, `-1FR`: the last
    /// Friday) or none (every such weekday of the week or month).
    public struct Weekday: Hashable, Sendable {
        public let weekday: Int
        public let ordinal: Int?
    }

    /// Where a series ends: after a number of occurrences, or on a date (its occurrences up to and on it).
    public enum End: Hashable, Sendable {
        case count(Int)
        case until(LocalDate)
    }

    public let frequency: Frequency
    public let interval: Int
    public let end: End
    public let byDay: [Weekday]
    public let byMonthDay: [Int]
    /// The rule as the client wrote it.
    public let text: String

    /// The most occurrences a series may have.
    public static let maxOccurrences = 366
    static let dayNames = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

    /// Reads `text`, or says what is wrong with it (400 `invalid_field` for `rrule`).
    public init(_ text: String) throws(AppError) {
        func refuse(_ reason: String) -> AppError { .invalidField(field: "rrule", reason: reason) }
        var parts: [String: String] = [:]
        for part in text.split(separator: ";", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[0].isEmpty, !pair[1].isEmpty else { throw refuse("Each part of rrule is NAME=VALUE, separated by ';'.") }
            let name = pair[0].uppercased()
            guard parts[name] == nil else { throw refuse("\(name) is given twice.") }
            parts[name] = pair[1].uppercased()
        }
        let known: Set = ["FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "WKST"]
        if let unknown = parts.keys.sorted().first(where: { !known.contains($0) }) {
            throw refuse("\(unknown) is not supported: FREQ, INTERVAL, COUNT or UNTIL, BYDAY and BYMONTHDAY are.")
        }
        guard let frequency = parts["FREQ"].flatMap(Frequency.init(rawValue:)) else {
            throw refuse("FREQ is required: DAILY, WEEKLY or MONTHLY.")
        }
        if let start = parts["WKST"], start != "MO" { throw refuse("Weeks start on Monday (WKST=MO).") }
        var interval = 1
        if let value = parts["INTERVAL"] {
            guard let number = Int(value), (1...366).contains(number) else { throw refuse("INTERVAL is a whole number from 1 to 366.") }
            interval = number
        }
        switch (parts["COUNT"], parts["UNTIL"]) {
        case (.some, .some):
            throw refuse("COUNT and UNTIL may not both be given.")
        case (.some(let value), nil):
            guard let count = Int(value), (1...Self.maxOccurrences).contains(count) else {
                throw refuse("COUNT is a whole number from 1 to \(Self.maxOccurrences).")
            }
            end = .count(count)
        case (nil, .some(let value)):
            // A date (20270601) or a UTC date-time (20270601T170000Z), read as its date.
            let digits = Array(value.prefix(8))
            guard digits.count == 8, value.count == 8 || value.count == 16,
                  let date = LocalDate("\(String(digits[0..<4]))-\(String(digits[4..<6]))-\(String(digits[6..<8]))") else {
                throw refuse("UNTIL is a date as RFC 5545 writes it (20270601, or 20270601T170000Z).")
            }
            end = .until(date)
        case (nil, nil):
            throw refuse("COUNT or UNTIL is required: a series ends.")
        }
        var days: [Weekday] = []
        for item in (parts["BYDAY"]?.split(separator: ",") ?? []) {
            let name = String(item.suffix(2)), prefix = item.dropLast(2)
            guard let index = Self.dayNames.firstIndex(of: name) else { throw refuse("BYDAY lists MO, TU, WE, TH, FR, SA or SU.") }
            var ordinal: Int?
            if !prefix.isEmpty {
                guard frequency == .monthly, let number = Int(prefix), number != 0, (-5...5).contains(number) else {
                    throw refuse("An ordinal in BYDAY (1MO, -1FR) is for FREQ=MONTHLY, from -5 to 5.")
                }
                ordinal = number
            }
            days.append(Weekday(weekday: index + 1, ordinal: ordinal))
        }
        var monthDays: [Int] = []
        for item in (parts["BYMONTHDAY"]?.split(separator: ",") ?? []) {
            guard frequency == .monthly, let day = Int(item), day != 0, (-31...31).contains(day) else {
                throw refuse("BYMONTHDAY is for FREQ=MONTHLY: days from 1 to 31, or -1 to -31 from the month's end.")
            }
            monthDays.append(day)
        }
        if frequency == .daily, !days.isEmpty { throw refuse("BYDAY is for FREQ=WEEKLY or MONTHLY.") }
        if !days.isEmpty, !monthDays.isEmpty { throw refuse("BYDAY and BYMONTHDAY may not both be given.") }
        self.frequency = frequency
        self.interval = interval
        byDay = days
        byMonthDay = monthDays
        self.text = text
    }

    public var description: String { text }

    /// The local dates of the series whose first occurrence falls on `first`, in order, `first` first:
    /// at most ``maxOccurrences``, or `invalid_field` when the rule would name more.
    public func dates(from first: LocalDate) throws(AppError) -> [LocalDate] {
        var dates = [first]
        let count: Int, bound: LocalDate?
        switch end {
        case .count(let value): (count, bound) = (value, nil)
        case .until(let last): (count, bound) = (Self.maxOccurrences + 1, last)
        }
        var offset = 0
        // Day by day, week by week or month by month; a rule that names no date for a long while (the 31st
        // every twelfth month from February) ends when the periods run past any bound or the calendar's.
        periods: while dates.count < count, offset <= 40_000 {
            for date in candidates(in: offset, from: first) where date > first {
                if let bound, date > bound { break periods }
                dates.append(date)
                if dates.count == count { break periods }
            }
            offset += interval
            if let bound, start(of: offset, from: first) > bound { break }
        }
        if dates.count > Self.maxOccurrences {
            throw .invalidField(field: "rrule", reason: "The series would have more than \(Self.maxOccurrences) occurrences.")
        }
        return dates
    }

    /// The first day of the `offset`-th day, week or month after `first`'s.
    func start(of offset: Int, from first: LocalDate) -> LocalDate {
        switch frequency {
        case .daily: return first.adding(days: offset)
        case .weekly: return first.adding(days: 1 - first.weekday + 7 * offset)
        case .monthly:
            let months = first.year * 12 + (first.month - 1) + offset
            return LocalDate(year: months / 12, month: months % 12 + 1, day: 1) ?? LocalDate(year: 9999, month: 12, day: 31)!
        }
    }

    /// The dates the rule names in the `offset`-th day, week or month after `first`'s, in order.
    func candidates(in offset: Int, from first: LocalDate) -> [LocalDate] {
        switch frequency {
        case .daily:
            return [first.adding(days: offset)]
        case .weekly:
            let monday = first.adding(days: 1 - first.weekday + 7 * offset)
            let weekdays = byDay.isEmpty ? [first.weekday] : byDay.map(\.weekday)
            return Set(weekdays).sorted().map { monday.adding(days: $0 - 1) }
        case .monthly:
            let months = first.year * 12 + (first.month - 1) + offset
            let year = months / 12, month = months % 12 + 1
            guard (1...9999).contains(year) else { return [] }
            let length = LocalDate.days(inMonth: month, of: year)
            var days: Set<Int> = []
            if !byDay.isEmpty {
                guard let firstOfMonth = LocalDate(year: year, month: month, day: 1) else { return [] }
                for rule in byDay {
                    let firstMatch = 1 + (rule.weekday - firstOfMonth.weekday + 7) % 7
                    let all = Array(stride(from: firstMatch, through: length, by: 7))
                    if let ordinal = rule.ordinal {
                        let index = ordinal > 0 ? ordinal - 1 : all.count + ordinal
                        if all.indices.contains(index) { days.insert(all[index]) }
                    } else {
                        days.formUnion(all)
                    }
                }
            } else {
                // A day the month does not have (the 31st of April) is no occurrence, as RFC 5545 has it.
                for day in byMonthDay.isEmpty ? [first.day] : byMonthDay {
                    let resolved = day > 0 ? day : length + 1 + day
                    if (1...length).contains(resolved) { days.insert(resolved) }
                }
            }
            return days.sorted().compactMap { LocalDate(year: year, month: month, day: $0) }
        }
    }
}
