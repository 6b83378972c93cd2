import Testing
@testable import BookingDomain

/// A series' occurrences as the schedule names them (no database): a rule repeats the first occurrence's
/// local wall times and length in dates, across changes of offset; the series' own bounds; and the verdict
/// that makes `fail` all or none and `skip` what fits.
extension Optional where Wrapped == AppError {
    /// Whether this is 400 invalid_field for `rrule`.
    var isRRuleRefusal: Bool {
        if case .invalidField("rrule", _)? = self { return true }
        return false
    }
}

@Suite("Series occurrences")
struct SeriesOccurrenceTests {
    /// 2026-10-01 10:00 UTC.
    static let now: Int64 = 1_790_848_800

    static func occurrences(_ schedule: Schedule, _ start: String, _ end: String? = nil, _ rule: String) throws -> [SeriesOccurrence] {
        let first = try #require(try PeriodRange(start: start, end: end))
        return try schedule.occurrences(of: first, repeating: try RecurrenceRule(rule), now: now)
    }

    static func refusal(_ schedule: Schedule, _ start: String, _ end: String? = nil, _ rule: String) -> AppError? {
        do {
            _ = try occurrences(schedule, start, end, rule)
            return nil
        } catch let error as AppError {
            return error
        } catch {
            return nil
        }
    }

    @Test("a weekly slot keeps 18:00 to 19:30 in Berlin across the autumn change, and its instants move by the hour")
    func wallTimeKept() throws {
        let schedule = try ScheduleTests.slots("Europe/Berlin", minutes: 30)
        let series = try Self.occurrences(schedule, "2026-10-13T18:00:00+02:00", "2026-10-13T19:30:00+02:00", "FREQ=WEEKLY;COUNT=3")
        #expect(series.map(\.start) == ["2026-10-13T18:00:00+02:00", "2026-10-20T18:00:00+02:00", "2026-10-27T18:00:00+01:00"])
        #expect(series.map(\.end) == ["2026-10-13T19:30:00+02:00", "2026-10-20T19:30:00+02:00", "2026-10-27T19:30:00+01:00"])
        let instants = try series.map { occurrence -> Int64 in
            guard case .times(let start, _) = try occurrence.range.get() else { throw InvalidPeriod(reason: "not a time") }
            return start.instant
        }
        #expect(instants[1] - instants[0] == 7 * 86_400 && instants[2] - instants[1] == 7 * 86_400 + 3600)
    }

    @Test("an hour that happens twice is its first instant; one the clocks skip is an occurrence refused, not moved")
    func changesOfOffset() throws {
        let schedule = try ScheduleTests.slots("Europe/Berlin", minutes: 30)
        let autumn = try Self.occurrences(schedule, "2026-10-24T02:30:00+02:00", nil, "FREQ=DAILY;COUNT=2")
        #expect(autumn.map(\.start) == ["2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00"])
        let spring = try Self.occurrences(schedule, "2027-03-27T02:30:00+01:00", nil, "FREQ=DAILY;COUNT=3")
        #expect(spring.map(\.start) == ["2027-03-27T02:30:00+01:00", "2027-03-28T02:30:00", "2027-03-29T02:30:00+02:00"])
        guard case .failure(let refusal) = spring[1].range else { Issue.record("the skipped 02:30 was given a range"); return }
        #expect(refusal.reason.contains("does not exist"))
    }

    @Test("days and nights repeat their length in dates")
    func dates() throws {
        let nights = try Schedule(kind: .nightly, timeZone: "Europe/Berlin")
        let series = try Self.occurrences(nights, "2026-10-09", "2026-10-11", "FREQ=WEEKLY;BYDAY=FR;COUNT=3")
        #expect(series.map { "\($0.start)/\($0.end)" } == ["2026-10-09/2026-10-11", "2026-10-16/2026-10-18", "2026-10-23/2026-10-25"])
        let days = try Schedule(kind: .daily, timeZone: "UTC")
        #expect(try Self.occurrences(days, "2026-10-31", nil, "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3").map(\.start)
                == ["2026-10-31", "2026-11-30", "2026-12-31"])
    }

    @Test("a series past the horizon, overlapping itself, over 2,000 periods, or with a first occurrence that cannot be taken is refused")
    func bounds() throws {
        let days = try Schedule(kind: .daily, timeZone: "UTC", horizonDays: 30)
        #expect(Self.refusal(days, "2026-10-02", nil, "FREQ=DAILY;COUNT=29") == nil)
        #expect(Self.refusal(days, "2026-10-02", nil, "FREQ=DAILY;COUNT=30").isRRuleRefusal, "the 30th occurrence is 2026-10-31")
        #expect(Self.refusal(days, "2026-10-02", "2026-10-05", "FREQ=DAILY;INTERVAL=2;COUNT=2").isRRuleRefusal, "three days every other day overlap")
        #expect(Self.refusal(days, "2026-10-02", "2026-10-04", "FREQ=DAILY;INTERVAL=2;COUNT=3") == nil, "two days every other day touch")
        let slots = try ScheduleTests.slots("UTC", minutes: 5)
        #expect(Self.refusal(slots, "2026-10-02T00:00:00+00:00", "2026-10-02T12:00:00+00:00", "FREQ=DAILY;COUNT=14").isRRuleRefusal,
                "14 × 144 periods")
        #expect(Self.refusal(days, "2026-09-30", nil, "FREQ=DAILY;COUNT=2") == .invalidPeriod(reason: "The range has begun already."))
    }

    @Test("fail refuses on any refused occurrence, naming each; skip goes ahead with what fits, but not with nothing")
    func verdict() {
        let short = AppError.insufficientQuantity(requested: 1, available: 0)
        let outcomes: [(start: String, end: String, refusal: AppError?)] = [("a", "b", nil), ("c", "d", short), ("e", "f", nil), ("g", "h", short)]
        #expect(BookingSeries.verdict(.fail, outcomes) == .seriesRefused([.init(start: "c", end: "d", error: short), .init(start: "g", end: "h", error: short)]))
        #expect(BookingSeries.verdict(.skip, outcomes) == nil)
        #expect(BookingSeries.verdict(.skip, outcomes.map { ($0.start, $0.end, short) }) != nil)
        #expect(BookingSeries.verdict(.fail, outcomes.map { ($0.start, $0.end, nil) }) == nil)
    }
}
