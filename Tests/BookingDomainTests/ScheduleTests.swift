import Testing
@testable import BookingDomain

/// Local dates and times, zones, and the periods a schedule makes: days, nights and slots, across changes
/// of offset, with the range checks a booking's `start` and `end` go through.
@Suite("Schedules and local periods")
struct ScheduleTests {
    static func date(_ text: String) throws -> LocalDate { try #require(LocalDate(text)) }

    /// An instant written in RFC 3339 form, for reading the tests: `at("2026-03-29", "01:00", +1)`.
    static func at(_ day: String, _ time: String, _ offsetHours: Int) throws -> ZonedInstant {
        let minutes = try #require(LocalTime(time)).minutes
        let offset = offsetHours * 3600
        return ZonedInstant(instant: Zone.wall(try date(day), minutes) - Int64(offset), offset: offset)
    }

    static func slots(_ zone: String, minutes: Int = 60, hours: [Schedule.OpeningHours] = []) throws -> Schedule {
        try Schedule(kind: .slots, timeZone: zone, slotMinutes: minutes, openingHours: hours)
    }

    @Test("dates count days since 1970 both ways, know leap years and weekdays, and parse only YYYY-MM-DD")
    func dates() throws {
        for number in stride(from: Int64(-719_162), through: 2_932_896, by: 997) {  // 0001-01-01 to 9999-12-31
            let date = LocalDate(dayNumber: number)
            #expect(date.dayNumber == number)
            #expect(LocalDate(date.description) == date)
            #expect(date.adding(days: 1).dayNumber == number + 1)
        }
        #expect(try Self.date("1970-01-01").dayNumber == 0)
        #expect(try Self.date("2026-12-06").weekday == 7, "a Sunday")
        #expect(try Self.date("2026-12-07").weekday == 1, "a Monday")
        #expect(LocalDate("2024-02-29") != nil && LocalDate("2000-02-29") != nil)
        #expect(LocalDate("2026-02-29") == nil && LocalDate("1900-02-29") == nil)
        for bad in ["2026-1-01", "2026-13-01", "2026-04-31", "26-01-01", "2026/01/01", "2026-01-01T00:00", "", "0000-01-01", "２０２６-01-01"] {
            #expect(LocalDate(bad) == nil, "\(bad)")
        }
        #expect(try Self.date("2026-12-31").adding(days: 1) == Self.date("2027-01-01"))
        #expect(LocalTime("24:00")?.minutes == 1440 && LocalTime("08:30")?.minutes == 510)
        for bad in ["24:01", "8:00", "08:60", "25:00", "08-00"] {
            #expect(LocalTime(bad) == nil, "\(bad)")
        }
    }

    @Test("a zone is an IANA name; abbreviations and offsets are not")
    func zones() {
        #expect(Zone(identifier: "Europe/Berlin") != nil && Zone(identifier: "America/New_York") != nil && Zone(identifier: "UTC") != nil)
        for bad in ["Mars/Olympus_Mons", "CET", "GMT+1", "europe/berlin", "", "../etc/passwd"] {
            #expect(Zone(identifier: bad) == nil, "\(bad)")
        }
        #expect(throws: AppError.invalidField(field: "schedule.time_zone", reason: "Unknown time zone \"CET\": use an IANA name such as Europe/Berlin.")) {
            try Schedule(kind: .daily, timeZone: "CET")
        }
    }

    @Test("clocks going forward and back: 23 and 25 one-hour slots in Berlin and in New York, each an hour, tiling the day",
          arguments: [("Europe/Berlin", "2026-03-29", 23), ("Europe/Berlin", "2026-10-25", 25), ("Europe/Berlin", "2026-06-01", 24),
                      ("America/New_York", "2026-03-08", 23), ("America/New_York", "2026-11-01", 25)])
    func daylightSaving(zone: String, day: String, count: Int) throws {
        let schedule = try Self.slots(zone)
        let slots = schedule.slots(on: try Self.date(day))
        #expect(slots.count == count)
        #expect(slots.allSatisfy { $0.end - $0.start == 3600 })
        #expect(Set(slots.map(\.key)).count == count, "an hour that happens twice is two slots")
        let day = schedule.period(on: try Self.date(day))
        #expect(slots.first?.start == day.start && slots.last?.end == day.end)
        #expect(day.end - day.start == Int64(count) * 3600, "the day is \(count) hours long")
    }

    @Test("every day of 2026 in five zones: slots of 15, 60 and 90 minutes tile the day in order, and days follow each other")
    func slotsTileEveryDay() throws {
        for zone in ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"] {
            for minutes in [15, 60, 90] {
                let schedule = try Self.slots(zone, minutes: minutes)
                var previousEnd: Int64?
                for number in try Self.date("2026-01-01").dayNumber...(try Self.date("2026-12-31").dayNumber) {
                    let date = LocalDate(dayNumber: number)
                    let day = schedule.period(on: date), slots = schedule.slots(on: date)
                    if let previousEnd { #expect(day.start == previousEnd, "\(zone) \(date)") }
                    previousEnd = day.end
                    // The first slot starts the day, unless the day's midnight does not exist (Santiago's clocks
                    // go from 00:00 to 01:00) and the slot of that stride is skipped with it.
                    let first = try #require(slots.first)
                    #expect(first.start == day.start || (first.start > day.start && schedule.zone.wallTime(at: day.start).minutes % minutes != 0),
                            "\(zone) \(date) \(minutes)")
                    #expect(slots.last?.end == day.end, "\(zone) \(date) \(minutes)")
                    for (slot, next) in zip(slots, slots.dropFirst()) {
                        #expect(slot.end == next.start && slot.key < next.key, "\(zone) \(date) \(minutes)")
                    }
                    // Every slot starts at a local wall time on the stride from midnight.
                    #expect(slots.allSatisfy { schedule.zone.wallTime(at: $0.start).minutes % minutes == 0 })
                }
            }
        }
    }

    @Test("a daily range across a change of offset is one period per day; nights are named by check-in, end required")
    func daysAndNights() throws {
        let now = try Self.at("2026-03-01", "12:00", 1).instant
        let daily = try Schedule(kind: .daily, timeZone: "Europe/Berlin")
        let days = try daily.periods(of: .dates(start: Self.date("2026-03-28"), end: Self.date("2026-03-30")), now: now)
        #expect(days.map(\.key) == [PeriodKey(kind: .day, index: try Self.date("2026-03-28").dayNumber),
                                    PeriodKey(kind: .day, index: try Self.date("2026-03-29").dayNumber)])
        #expect(days.map { $0.end - $0.start } == [86_400, 82_800])
        #expect(try daily.periods(of: .dates(start: Self.date("2026-03-28"), end: nil), now: now).count == 1, "end defaults to the next day")
        let nightly = try Schedule(kind: .nightly, timeZone: "Europe/Berlin")
        let nights = try nightly.periods(of: .dates(start: Self.date("2026-12-10"), end: Self.date("2026-12-13")), now: now)
        #expect(nights.map(\.key.kind) == [.night, .night, .night] && nights.map(\.date.day) == [10, 11, 12])
        #expect(throws: InvalidPeriod.self) { try nightly.periods(of: .dates(start: Self.date("2026-12-10"), end: nil), now: now) }
        #expect(throws: InvalidPeriod.self) { try daily.periods(of: .dates(start: Self.date("2026-12-10"), end: Self.date("2026-12-10")), now: now) }
        #expect(throws: InvalidPeriod.self) { try daily.periods(of: .times(start: Self.at("2026-12-10", "09:00", 1), end: nil), now: now) }
    }

    @Test("slot ranges: on boundaries, with the zone's own offset; 02:30 on the morning clocks go forward does not exist")
    func slotRanges() throws {
        let now = try Self.at("2026-03-01", "12:00", 1).instant
        let court = try Self.slots("Europe/Berlin")
        let two = try court.periods(of: .times(start: Self.at("2026-12-10", "09:00", 1), end: Self.at("2026-12-10", "11:00", 1)), now: now)
        #expect(two.count == 2 && two[0].end == two[1].start)
        #expect(try court.periods(of: .times(start: Self.at("2026-12-10", "09:00", 1), end: nil), now: now).count == 1, "end defaults to one slot")
        // 02:30 does not exist on 2026-03-29 in Berlin, whichever offset it is written with.
        for offset in [1, 2] {
            #expect(throws: InvalidPeriod.self) { try court.periods(of: .times(start: Self.at("2026-03-29", "02:30", offset), end: nil), now: now) }
        }
        // 02:00 happens twice on 2026-10-25: two slots, one per offset, and a range over both is two hours.
        let first = try court.periods(of: .times(start: Self.at("2026-10-25", "02:00", 2), end: nil), now: now)
        let second = try court.periods(of: .times(start: Self.at("2026-10-25", "02:00", 1), end: nil), now: now)
        #expect(first.count == 1 && second.count == 1 && first[0].key != second[0].key && first[0].end == second[0].start)
        #expect(try court.periods(of: .times(start: Self.at("2026-10-25", "01:00", 2), end: Self.at("2026-10-25", "03:00", 1)), now: now).count == 3)
        // Off a boundary, with the wrong offset, ending off a boundary, or in the wrong form.
        #expect(throws: InvalidPeriod.self) { try court.periods(of: .times(start: Self.at("2026-12-10", "09:30", 1), end: nil), now: now) }
        #expect(throws: InvalidPeriod.self) { try court.periods(of: .times(start: Self.at("2026-12-10", "09:00", 2), end: nil), now: now) }
        #expect(throws: InvalidPeriod.self) {
            try court.periods(of: .times(start: Self.at("2026-12-10", "09:00", 1), end: Self.at("2026-12-10", "10:30", 1)), now: now)
        }
        #expect(throws: InvalidPeriod.self) { try court.periods(of: .dates(start: Self.date("2026-12-10"), end: nil), now: now) }
    }

    @Test("opening hours decide which slots exist; a range through closed hours is refused, one across midnight when open is not")
    func openingHours() throws {
        let now = try Self.at("2026-03-01", "12:00", 1).instant
        let weekdays = Schedule.OpeningHours(weekdays: [1, 2, 3, 4, 5], open: try #require(LocalTime("08:00")), close: try #require(LocalTime("22:00")))
        let court = try Self.slots("Europe/Berlin", hours: [weekdays])
        #expect(court.slots(on: try Self.date("2026-12-07")).count == 14, "a Monday, 08:00 to 22:00")
        #expect(court.slots(on: try Self.date("2026-12-06")).isEmpty, "a Sunday")
        #expect(throws: InvalidPeriod.self) { try court.periods(of: .times(start: Self.at("2026-12-07", "07:00", 1), end: nil), now: now) }
        #expect(throws: InvalidPeriod.self) {
            try court.periods(of: .times(start: Self.at("2026-12-07", "21:00", 1), end: Self.at("2026-12-08", "09:00", 1)), now: now)
        }
        let allDay = try Self.slots("Europe/Berlin")
        #expect(try allDay.periods(of: .times(start: Self.at("2026-12-07", "23:00", 1), end: Self.at("2026-12-08", "01:00", 1)), now: now).count == 2)
    }

    @Test("the booking window: not begun (today's day may still be booked), within the notice and the horizon, at most 366 periods")
    func window() throws {
        let now = try Self.at("2026-12-06", "10:00", 1).instant
        let daily = try Schedule(kind: .daily, timeZone: "Europe/Berlin", horizonDays: 30)
        #expect(try daily.periods(of: .dates(start: Self.date("2026-12-06"), end: nil), now: now).count == 1, "today, until it ends")
        #expect(throws: InvalidPeriod.self) { try daily.periods(of: .dates(start: Self.date("2026-12-05"), end: nil), now: now) }
        #expect(try daily.periods(of: .dates(start: Self.date("2027-01-04"), end: nil), now: now).count == 1, "the 30th day ahead")
        #expect(throws: InvalidPeriod.self) { try daily.periods(of: .dates(start: Self.date("2027-01-05"), end: nil), now: now) }
        let court = try Schedule(kind: .slots, timeZone: "Europe/Berlin", slotMinutes: 60, minNoticeMinutes: 120)
        #expect(throws: InvalidPeriod.self) { try court.periods(of: .times(start: Self.at("2026-12-06", "11:00", 1), end: nil), now: now) }
        #expect(try court.periods(of: .times(start: Self.at("2026-12-06", "12:00", 1), end: nil), now: now).count == 1)
        #expect(throws: InvalidPeriod.self) { try court.periods(of: .times(start: Self.at("2026-12-06", "09:00", 1), end: nil), now: now) }
        let long = try Schedule(kind: .nightly, timeZone: "UTC", horizonDays: 1095)
        #expect(try long.periods(of: .dates(start: Self.date("2026-12-07"), end: Self.date("2027-12-08")), now: now).count == 366)
        #expect(throws: InvalidPeriod.self) { try long.periods(of: .dates(start: Self.date("2026-12-07"), end: Self.date("2027-12-09")), now: now) }
    }

    @Test("a schedule's parts are checked, each naming its field")
    func validation() {
        func field(_ make: () throws -> Schedule) -> String? {
            do {
                _ = try make()
                return nil
            } catch AppError.invalidField(let field, _) {
                return field
            } catch {
                return "\(error)"
            }
        }
        #expect(field { try Schedule(kind: .slots, timeZone: "UTC") } == "schedule.slot_minutes")
        #expect(field { try Schedule(kind: .slots, timeZone: "UTC", slotMinutes: 4) } == "schedule.slot_minutes")
        #expect(field { try Schedule(kind: .daily, timeZone: "UTC", slotMinutes: 60) } == "schedule.slot_minutes")
        #expect(field { try Schedule(kind: .daily, timeZone: "UTC", horizonDays: 0) } == "schedule.horizon_days")
        #expect(field { try Schedule(kind: .daily, timeZone: "UTC", horizonDays: 1096) } == "schedule.horizon_days")
        #expect(field { try Schedule(kind: .daily, timeZone: "UTC", minNoticeMinutes: -1) } == "schedule.min_notice_minutes")
        let backwards = Schedule.OpeningHours(weekdays: [1], open: LocalTime(minutes: 600)!, close: LocalTime(minutes: 480)!)
        #expect(field { try Schedule(kind: .slots, timeZone: "UTC", slotMinutes: 60, openingHours: [backwards]) } == "schedule.opening_hours")
        let noDay = Schedule.OpeningHours(weekdays: [8], open: LocalTime(minutes: 480)!, close: LocalTime(minutes: 600)!)
        #expect(field { try Schedule(kind: .slots, timeZone: "UTC", slotMinutes: 60, openingHours: [noDay]) } == "schedule.opening_hours")
        #expect(field { try Schedule(kind: .slots, timeZone: "UTC", slotMinutes: 60) } == nil)
    }

    @Test("RFC 3339 as a slot is written: the wall time with its offset")
    func written() throws {
        #expect(Schedule.written(try Self.at("2026-03-29", "02:30", 1)) == "2026-03-29T02:30:00+01:00")
        #expect(Schedule.written(try Self.at("2026-11-01", "01:00", -5)) == "2026-11-01T01:00:00-05:00")
        #expect(Schedule.written(ZonedInstant(instant: -1, offset: 0)) == "1969-12-31T23:59:59+00:00")
    }
}
