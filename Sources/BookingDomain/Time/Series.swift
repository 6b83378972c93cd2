/// One occurrence of a series as its rule names it: its start and end as the API writes them, and its
/// range, or why its local time names no instant that day (it falls in the hour the clocks skip).
public struct SeriesOccurrence: Sendable, Equatable {
    public let start: String
    public let end: String
    public let range: Result<PeriodRange, InvalidPeriod>
}

extension Schedule {
    /// The most periods one series may take in all (its occurrences' periods together): what one
    /// transaction under the resource's lock decides at once.
    public static let maxSeriesPeriods = 2_000

    /// The occurrences of a series whose first occurrence is `first`, repeated by `rule` **in local time**:
    /// each falls on a date the rule names and keeps the first one's local wall times (18:00 to 19:00 stays
    /// 18:00 to 19:00 across a change of offset) and length in dates. A wall time that falls twice (the
    /// hour the clocks go back) is its first instant; one that does not exist that day is an occurrence
    /// refused with its reason.
    ///
    /// - Throws: `invalid_period` when `first` itself cannot be taken at `now` (the form, the slot
    ///   boundaries, the window); `invalid_field` (`rrule`) when the series runs past `horizonDays`, its
    ///   occurrences would overlap, or it would take more than ``maxSeriesPeriods`` periods.
    public func occurrences(of first: PeriodRange, repeating rule: RecurrenceRule, now: Int64) throws(AppError) -> [SeriesOccurrence] {
        let firstPeriods: [Period]
        do {
            firstPeriods = try periods(of: first, now: now)
        } catch {
            throw .invalidPeriod(reason: error.reason)
        }
        var occurrences: [SeriesOccurrence] = []
        var bounds: [(start: Int64, end: Int64)] = []
        let lastDate: LocalDate
        switch first {
        case .dates(let start, let end):
            let length = Int((end ?? start.adding(days: 1)).dayNumber - start.dayNumber)
            let dates = try rule.dates(from: start)
            for date in dates {
                let last = date.adding(days: length)
                occurrences.append(SeriesOccurrence(start: "\(date)", end: "\(last)", range: .success(.dates(start: date, end: last))))
                bounds.append((date.dayNumber, last.dayNumber))
            }
            lastDate = dates.last!.adding(days: length - 1)
        case .times(let start, _):
            let startWall = zone.wallTime(at: start.instant), endWall = zone.wallTime(at: firstPeriods.last!.end)
            let days = Int(endWall.date.dayNumber - startWall.date.dayNumber)
            let dates = try rule.dates(from: startWall.date)
            for date in dates {
                let begins = zone.instants(of: date, at: startWall.minutes).first
                let ends = zone.instants(of: date.adding(days: days), at: endWall.minutes).first(where: { $0 > begins ?? .min })
                guard let begins, let ends else {
                    // A wall time as written without an offset, since it has none that day.
                    func wall(_ date: LocalDate, _ minutes: Int) -> String { "\(date)T\(LocalTime(minutes: minutes)!):00" }
                    let start = wall(date, startWall.minutes), end = wall(date.adding(days: days), endWall.minutes)
                    occurrences.append(SeriesOccurrence(start: start, end: end, range: .failure(InvalidPeriod(
                        reason: "\(begins == nil ? start : end) does not exist in \(zone): the clocks skip that hour that day."))))
                    continue
                }
                let from = ZonedInstant(instant: begins, offset: zone.offset(at: begins)), to = ZonedInstant(instant: ends, offset: zone.offset(at: ends))
                occurrences.append(SeriesOccurrence(start: Self.written(from), end: Self.written(to), range: .success(.times(start: from, end: to))))
                bounds.append((begins, ends))
            }
            lastDate = dates.last!
        }
        let today = zone.wallTime(at: now).date
        if lastDate.dayNumber >= today.dayNumber + Int64(horizonDays) {
            throw .invalidField(field: "rrule", reason: "The series runs past the \(horizonDays) days that may be booked ahead: its last occurrence would be on \(lastDate).")
        }
        for (earlier, later) in zip(bounds, bounds.dropFirst()) where later.start < earlier.end {
            throw .invalidField(field: "rrule", reason: "The series' occurrences would overlap: each must end before the next begins.")
        }
        if firstPeriods.count * occurrences.count > Self.maxSeriesPeriods {
            throw .invalidField(field: "rrule", reason: "The series would take \(firstPeriods.count * occurrences.count) periods: at most \(Self.maxSeriesPeriods) at once.")
        }
        return occurrences
    }

    /// The index of the first period key at or after `from` (a date, or a time), for the records of this
    /// schedule that begin there or later: a date's first slot for slots, a time's local date for days and nights.
    public func firstKeyIndex(from: PeriodRange) -> Int64 {
        switch (kind, from) {
        case (.slots, .dates(let date, _)): zone.firstInstant(atOrAfter: date, 0) / 60
        case (.slots, .times(let time, _)): (time.instant + 59) / 60
        case (_, .dates(let date, _)): date.dayNumber
        case (_, .times(let time, _)): zone.wallTime(at: time.instant).date.dayNumber
        }
    }
}
