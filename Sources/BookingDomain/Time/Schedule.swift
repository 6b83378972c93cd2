/// How a resource with capacity in time divides its time into periods, each with `total_quantity` units:
/// local calendar days, nights (named by their check-in date), or slots of `slotMinutes` counted from
/// local midnight, all in the resource's own time zone. A resource without a schedule is a pool.
///
/// Periods are local: a day runs from one local midnight to the next (23 or 25 hours across a change of
/// offset), a slot whose local start does not exist is skipped, and a local time that happens twice
/// starts two slots, told apart by their offsets. Nothing here adds 86,400 seconds to anything.
public struct Schedule: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case daily, nightly, slots

        /// The kind of the periods this schedule makes.
        public var periodKind: PeriodKey.Kind {
            switch self {
            case .daily: .day
            case .nightly: .night
            case .slots: .slot
            }
        }
    }

    /// When slots exist: on these ISO weekdays (1 is Monday), from `open` to `close`, local wall time.
    public struct OpeningHours: Hashable, Sendable {
        public let weekdays: Set<Int>
        public let open: LocalTime
        public let close: LocalTime

        public init(weekdays: Set<Int>, open: LocalTime, close: LocalTime) {
            self.weekdays = weekdays
            self.open = open
            self.close = close
        }
    }

    public let kind: Kind
    public let zone: Zone
    /// The length of a slot (slots only).
    public let slotMinutes: Int?
    /// When slots exist (slots only); empty: all day, every day.
    public let openingHours: [OpeningHours]
    /// How many days ahead (counted from today in the resource's zone) may be booked.
    public let horizonDays: Int
    /// How long before a period starts it may still be booked.
    public let minNoticeMinutes: Int

    public static let slotMinutesRange = 5...1440
    public static let horizonDaysRange = 1...1095
    public static let minNoticeMinutesRange = 0...525_600
    /// The most periods one booking, hold or waiting-list entry may span.
    public static let maxPeriods = 366

    /// A schedule whose every part is valid, or `invalidField` naming the first that is not.
    public init(kind: Kind, timeZone: String, slotMinutes: Int? = nil, openingHours: [OpeningHours] = [],
                horizonDays: Int = 365, minNoticeMinutes: Int = 0) throws(AppError) {
        guard let zone = Zone(identifier: timeZone) else {
            throw .invalidField(field: "schedule.time_zone", reason: "Unknown time zone \"\(timeZone)\": use an IANA name such as Europe/Berlin.")
        }
        switch kind {
        case .slots:
            guard let slotMinutes else {
                throw .invalidField(field: "schedule.slot_minutes", reason: "A schedule of slots needs slot_minutes.")
            }
            guard Self.slotMinutesRange.contains(slotMinutes) else {
                throw .invalidField(field: "schedule.slot_minutes", reason: "slot_minutes must be between 5 and 1440.")
            }
            for hours in openingHours {
                guard !hours.weekdays.isEmpty, hours.weekdays.allSatisfy((1...7).contains) else {
                    throw .invalidField(field: "schedule.opening_hours", reason: "weekdays are 1 (Monday) to 7 (Sunday), at least one.")
                }
                guard hours.open < hours.close else {
                    throw .invalidField(field: "schedule.opening_hours", reason: "open must be before close.")
                }
            }
        case .daily, .nightly:
            guard slotMinutes == nil else {
                throw .invalidField(field: "schedule.slot_minutes", reason: "slot_minutes is for schedules of slots only.")
            }
            guard openingHours.isEmpty else {
                throw .invalidField(field: "schedule.opening_hours", reason: "opening_hours is for schedules of slots only.")
            }
        }
        guard Self.horizonDaysRange.contains(horizonDays) else {
            throw .invalidField(field: "schedule.horizon_days", reason: "horizon_days must be between 1 and 1095.")
        }
        guard Self.minNoticeMinutesRange.contains(minNoticeMinutes) else {
            throw .invalidField(field: "schedule.min_notice_minutes", reason: "min_notice_minutes must be between 0 and 525600.")
        }
        self.kind = kind
        self.zone = zone
        self.slotMinutes = slotMinutes
        self.openingHours = openingHours
        self.horizonDays = horizonDays
        self.minNoticeMinutes = minNoticeMinutes
    }
}

/// One period of a dated resource: its key (the unit of stock), the instants it runs between (UTC
/// seconds, `end` exclusive), and the local date it belongs to.
public struct Period: Hashable, Sendable {
    public let key: PeriodKey
    public let start: Int64
    public let end: Int64
    public let date: LocalDate
}

/// A request's range, as the client gave it: dates for days and nights, instants for slots.
public enum PeriodRange: Hashable, Sendable {
    /// Days or nights from `start` up to `end` (exclusive); nil: the day after `start` (days only).
    case dates(start: LocalDate, end: LocalDate?)
    /// Slots from `start` up to `end` (exclusive; nil: one slot), each an instant with the offset the
    /// client wrote it with, which must be the zone's offset at that instant.
    case times(start: ZonedInstant, end: ZonedInstant?)
}

/// An instant as RFC 3339 writes it: UTC seconds, and the offset it was written with.
public struct ZonedInstant: Hashable, Sendable {
    public let instant: Int64
    public let offset: Int

    public init(instant: Int64, offset: Int) {
        self.instant = instant
        self.offset = offset
    }
}

/// Why a range names no periods that may be taken: 400 `invalid_period`.
public struct InvalidPeriod: Error, Hashable, Sendable {
    public let reason: String
}

extension Schedule {
    /// The slots of a local date, in time order: every stride of `slotMinutes` from local midnight that
    /// exists on the wall and lies within the opening hours of its weekday; each ends where the next
    /// boundary of the day falls (so slots never overlap and a day's slots tile it).
    public func slots(on date: LocalDate) -> [Period] {
        guard kind == .slots, let slotMinutes else { return [] }
        var boundaries: [(instant: Int64, minutes: Int)] = []
        for minutes in stride(from: 0, to: 1440, by: slotMinutes) {
            boundaries += zone.instants(of: date, at: minutes).map { ($0, minutes) }
        }
        // In an overlap the day's wall times are not in time order (01:30, 01:45 and again 01:30, 01:45): the instants are.
        boundaries.sort { $0.instant < $1.instant }
        let dayEnd = zone.firstInstant(atOrAfter: date.adding(days: 1), 0)
        var slots: [Period] = []
        for (index, boundary) in boundaries.enumerated() where isOpen(date, from: boundary.minutes, minutes: slotMinutes) {
            let end = index + 1 < boundaries.count ? boundaries[index + 1].instant : dayEnd
            slots.append(Period(key: PeriodKey(kind: .slot, index: boundary.instant / 60), start: boundary.instant, end: end, date: date))
        }
        return slots
    }

    /// The day or night named by `date`: from its local midnight (or the first instant after it) to the next.
    public func period(on date: LocalDate) -> Period {
        Period(key: PeriodKey(kind: kind.periodKind, index: date.dayNumber),
               start: zone.firstInstant(atOrAfter: date, 0), end: zone.firstInstant(atOrAfter: date.adding(days: 1), 0), date: date)
    }

    /// Whether a slot starting `from` minutes after midnight on `date` lies within the opening hours.
    func isOpen(_ date: LocalDate, from start: Int, minutes: Int) -> Bool {
        guard !openingHours.isEmpty else { return true }
        let end = min(start + minutes, 1440)
        return openingHours.contains { $0.weekdays.contains(date.weekday) && $0.open.minutes <= start && end <= $0.close.minutes }
    }

    /// The periods `range` names, in key order, or why it names none that may be taken at `now` (UTC
    /// seconds): the wrong form for this schedule, an end not after the start, a slot boundary or offset
    /// that is not one, a time outside the opening hours, beyond `horizonDays`, sooner than
    /// `minNoticeMinutes`, or more than ``maxPeriods`` periods.
    public func periods(of range: PeriodRange, now: Int64) throws(InvalidPeriod) -> [Period] {
        let periods: [Period]
        switch (kind, range) {
        case (.daily, .dates(let start, let end)), (.nightly, .dates(let start, let end)):
            guard let end = end ?? (kind == .daily ? start.adding(days: 1) : nil) else {
                throw InvalidPeriod(reason: "A night's range needs its check-out date as end.")
            }
            guard start < end else { throw InvalidPeriod(reason: "end must be after start.") }
            guard end.dayNumber - start.dayNumber <= Int64(Self.maxPeriods) else {
                throw InvalidPeriod(reason: "At most \(Self.maxPeriods) periods at once.")
            }
            periods = (0..<Int(end.dayNumber - start.dayNumber)).map { period(on: start.adding(days: $0)) }
        case (.slots, .times(let start, let end)):
            periods = try slots(from: start, to: end)
        case (.slots, .dates):
            throw InvalidPeriod(reason: "This resource is booked by slots: start and end are times with their offset (2026-12-10T09:00:00+01:00).")
        case (_, .times):
            throw InvalidPeriod(reason: "This resource is booked by \(kind == .daily ? "days" : "nights"): start and end are dates (2026-12-10).")
        }
        try checkWindow(periods, now: now)
        return periods
    }

    private func slots(from start: ZonedInstant, to end: ZonedInstant?) throws(InvalidPeriod) -> [Period] {
        for time in [start, end].compactMap({ $0 }) where zone.offset(at: time.instant) != time.offset {
            let wall = ZonedInstant(instant: time.instant, offset: time.offset)
            throw InvalidPeriod(reason: "\(Self.written(wall)) is not a time that exists in \(zone) with that offset.")
        }
        var date = zone.wallTime(at: start.instant).date
        var slots = self.slots(on: date)
        guard let first = slots.firstIndex(where: { $0.start == start.instant }) else {
            throw InvalidPeriod(reason: "\(Self.written(start)) is not the start of a slot (slots of \(slotMinutes ?? 0) minutes from local midnight, within the opening hours).")
        }
        var taken = [slots[first]]
        var index = first + 1
        let last = end?.instant ?? slots[first].end
        guard last > start.instant else { throw InvalidPeriod(reason: "end must be after start.") }
        while taken.last!.end < last {
            guard taken.count < Self.maxPeriods else { throw InvalidPeriod(reason: "At most \(Self.maxPeriods) periods at once.") }
            if index == slots.count {
                date = date.adding(days: 1)
                slots = self.slots(on: date)
                index = 0
            }
            guard index < slots.count, slots[index].start == taken.last!.end else {
                throw InvalidPeriod(reason: "The range runs outside the opening hours.")
            }
            taken.append(slots[index])
            index += 1
        }
        guard taken.last!.end == last else {
            throw InvalidPeriod(reason: "end is not the end of a slot.")
        }
        return taken
    }

    /// Refuses periods too soon or beyond the horizon. A slot may be taken until `minNoticeMinutes` before
    /// it starts; a day or night until `minNoticeMinutes` before it ends (today, and tonight, may still be
    /// booked today).
    private func checkWindow(_ periods: [Period], now: Int64) throws(InvalidPeriod) {
        guard let first = periods.first, let last = periods.last else { return }
        let notice = Int64(minNoticeMinutes) * 60
        if kind == .slots ? first.start < now + notice : first.end <= now + notice {
            throw InvalidPeriod(reason: minNoticeMinutes == 0 ? "The range has begun already."
                                                              : "The range begins sooner than \(minNoticeMinutes) minutes from now.")
        }
        let today = zone.wallTime(at: now).date
        if last.date.dayNumber >= today.dayNumber + Int64(horizonDays) {
            throw InvalidPeriod(reason: "The range ends beyond the \(horizonDays) days that may be booked ahead.")
        }
    }

    /// An instant as RFC 3339 with its offset, to the minute's seconds (`2026-03-29T02:30:00+01:00`).
    public static func written(_ time: ZonedInstant) -> String {
        let (date, second) = LocalDate.split(time.instant + Int64(time.offset))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let sign = time.offset < 0 ? "-" : "+", offset = abs(time.offset) / 60
        return "\(date)T\(LocalDate.clock(second))\(sign)\(two(offset / 60)):\(two(offset % 60))"
    }
}

extension Schedule {
    /// The span of `periods` (consecutive, in time order, as ``periods(of:now:)`` returns them).
    public func span(of periods: [Period]) -> Span {
        guard let first = periods.first, let last = periods.last else { return Span(keys: [], range: nil) }
        let to = kind == .slots ? last.end / 60 : last.key.index + 1
        let start = written(first).start, end = written(last).end
        return Span(keys: periods.map(\.key), range: TakenRange(kind: kind.periodKind, from: first.key.index, to: to, start: start, end: end))
    }

    /// A period's start and end as the API writes them: a day's or night's dates (a night ends on its
    /// check-out date), or a slot's instants with the zone's offset at each.
    public func written(_ period: Period) -> (start: String, end: String) {
        switch kind {
        case .daily, .nightly:
            ("\(period.date)", "\(period.date.adding(days: 1))")
        case .slots:
            (Self.written(ZonedInstant(instant: period.start, offset: zone.offset(at: period.start))),
             Self.written(ZonedInstant(instant: period.end, offset: zone.offset(at: period.end))))
        }
    }

    /// The start and end of each of `keys` that this schedule has, as the API writes them: read from one
    /// listing of the dates they fall on (a slot's date is listed once, not once per slot).
    public func written(_ keys: [PeriodKey]) -> [PeriodKey: (start: String, end: String)] {
        let dates = keys.filter { $0.kind == kind.periodKind }.map { date(of: $0) }
        guard let first = dates.min(), let last = dates.max() else { return [:] }
        let wanted = Set(keys)
        var written: [PeriodKey: (start: String, end: String)] = [:]
        for period in listing(from: first, to: last.adding(days: 1)) where wanted.contains(period.key) {
            written[period.key] = (period.start, period.end)
        }
        return written
    }

    /// The keys of a stored range's periods, in key order.
    public func keys(of range: TakenRange) -> [PeriodKey] {
        guard range.kind == kind.periodKind, range.from < range.to else { return [] }
        switch kind {
        case .daily, .nightly:
            return (range.from..<range.to).map { PeriodKey(kind: range.kind, index: $0) }
        case .slots:
            var keys: [PeriodKey] = [], date = zone.wallTime(at: range.from * 60).date
            while keys.count <= Self.maxPeriods, zone.firstInstant(atOrAfter: date, 0) < range.to * 60 {
                keys += slots(on: date).map(\.key).filter(range.contains)
                date = date.adding(days: 1)
            }
            return keys
        }
    }

    /// The periods from local date `from` up to `to` (exclusive), in time order, as a listing writes them:
    /// each one's key, start and end. Days and nights need no instant for that (their dates say it all),
    /// so a year of them costs no look-up in the zone.
    public func listing(from: LocalDate, to: LocalDate) -> [(key: PeriodKey, start: String, end: String)] {
        guard kind == .slots else {
            return (0..<max(0, Int(to.dayNumber - from.dayNumber))).map { offset in
                let date = from.adding(days: offset)
                return (PeriodKey(kind: kind.periodKind, index: date.dayNumber), "\(date)", "\(date.adding(days: 1))")
            }
        }
        return periods(from: from, to: to).map { period in
            let written = written(period)
            return (period.key, written.start, written.end)
        }
    }

    /// The periods from local date `from` up to `to` (exclusive), in time order: one per day or night,
    /// or each day's slots within the opening hours.
    public func periods(from: LocalDate, to: LocalDate) -> [Period] {
        var periods: [Period] = [], date = from
        while date < to {
            periods += kind == .slots ? slots(on: date) : [period(on: date)]
            date = date.adding(days: 1)
        }
        return periods
    }
}

extension Schedule {
    /// A schedule as the API and the database write it (`time_zone`, `slot_minutes`, …).
    public struct Document: Codable, Sendable, Equatable {
        public struct Hours: Codable, Sendable, Equatable {
            public var weekdays: [Int]
            public var open: String
            public var close: String

            public init(weekdays: [Int], open: String, close: String) {
                self.weekdays = weekdays
                self.open = open
                self.close = close
            }
        }

        public var kind: String
        public var timeZone: String
        public var slotMinutes: Int?
        public var openingHours: [Hours]?
        public var horizonDays: Int?
        public var minNoticeMinutes: Int?

        enum CodingKeys: String, CodingKey {
            case kind, weekdays
            case timeZone = "time_zone"
            case slotMinutes = "slot_minutes"
            case openingHours = "opening_hours"
            case horizonDays = "horizon_days"
            case minNoticeMinutes = "min_notice_minutes"
        }

        public init(kind: String, timeZone: String, slotMinutes: Int? = nil, openingHours: [Hours]? = nil, horizonDays: Int? = nil,
                    minNoticeMinutes: Int? = nil) {
            self.kind = kind
            self.timeZone = timeZone
            self.slotMinutes = slotMinutes
            self.openingHours = openingHours
            self.horizonDays = horizonDays
            self.minNoticeMinutes = minNoticeMinutes
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decode(String.self, forKey: .kind)
            timeZone = try container.decode(String.self, forKey: .timeZone)
            slotMinutes = try container.decodeIfPresent(Int.self, forKey: .slotMinutes)
            openingHours = try container.decodeIfPresent([Hours].self, forKey: .openingHours)
            horizonDays = try container.decodeIfPresent(Int.self, forKey: .horizonDays)
            minNoticeMinutes = try container.decodeIfPresent(Int.self, forKey: .minNoticeMinutes)
        }

        /// Every field written, null where it does not apply, so every schedule has the same keys.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind, forKey: .kind)
            try container.encode(timeZone, forKey: .timeZone)
            if let slotMinutes { try container.encode(slotMinutes, forKey: .slotMinutes) } else { try container.encodeNil(forKey: .slotMinutes) }
            try container.encode(openingHours ?? [], forKey: .openingHours)
            try container.encode(horizonDays ?? 365, forKey: .horizonDays)
            try container.encode(minNoticeMinutes ?? 0, forKey: .minNoticeMinutes)
        }

        init(_ schedule: Schedule) {
            kind = schedule.kind.rawValue
            timeZone = schedule.zone.identifier
            slotMinutes = schedule.slotMinutes
            openingHours = schedule.openingHours.map {
                Hours(weekdays: $0.weekdays.sorted(), open: "\($0.open)", close: "\($0.close)")
            }
            horizonDays = schedule.horizonDays
            minNoticeMinutes = schedule.minNoticeMinutes
        }
    }

    public var document: Document { Document(self) }

    /// The schedule a document describes, or `invalidField` naming what is wrong with it.
    public init(_ document: Document) throws(AppError) {
        guard let kind = Kind(rawValue: document.kind) else {
            throw .invalidField(field: "schedule.kind", reason: "kind is daily, nightly or slots.")
        }
        var hours: [OpeningHours] = []
        for entry in document.openingHours ?? [] {
            guard let open = LocalTime(entry.open), let close = LocalTime(entry.close) else {
                throw .invalidField(field: "schedule.opening_hours", reason: "open and close are local times as HH:MM (24:00 for midnight at the end).")
            }
            hours.append(OpeningHours(weekdays: Set(entry.weekdays), open: open, close: close))
        }
        try self.init(kind: kind, timeZone: document.timeZone, slotMinutes: document.slotMinutes, openingHours: hours,
                      horizonDays: document.horizonDays ?? 365, minNoticeMinutes: document.minNoticeMinutes ?? 0)
    }
}

extension PeriodRange {
    /// The range a request gives as `start` and `end` text: both dates (`2026-12-10`), or both RFC 3339
    /// times with an offset (`2026-12-10T09:00:00+01:00`); nil when neither is given.
    public init?(start: String?, end: String?) throws(AppError) {
        guard let start else {
            guard end == nil else { throw .invalidPeriod(reason: "end is given without start.") }
            return nil
        }
        if let date = LocalDate(start) {
            var last: LocalDate?
            if let end {
                guard let date = LocalDate(end) else { throw .invalidPeriod(reason: "end must be a date (2026-12-12) as start is.") }
                last = date
            }
            self = .dates(start: date, end: last)
        } else if let time = ZonedInstant(rfc3339: start) {
            var last: ZonedInstant?
            if let end {
                guard let time = ZonedInstant(rfc3339: end) else {
                    throw .invalidPeriod(reason: "end must be a time with its offset (2026-12-10T11:00:00+01:00) as start is.")
                }
                last = time
            }
            self = .times(start: time, end: last)
        } else {
            throw .invalidPeriod(reason: "start must be a date (2026-12-10) or a time with its offset (2026-12-10T09:00:00+01:00).")
        }
    }
}

extension ZonedInstant {
    /// An RFC 3339 time with its offset (`Z` or `±HH:MM`; fractions of a second must be zero); nil otherwise.
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              let date = LocalDate(String(decoding: bytes[0..<10], as: UTF8.self)),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let hours = number(11..<13), let minutes = number(14..<16), let seconds = number(17..<19),
              hours < 24, minutes < 60, seconds < 60 else { return nil }
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let digits = index
            while index < bytes.count, bytes[index] == UInt8(ascii: "0") { index += 1 }
            guard index > digits else { return nil }
        }
        let offset: Int
        if index + 1 == bytes.count, bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            offset = 0
        } else {
            guard index + 6 == bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"),
                  bytes[index + 3] == UInt8(ascii: ":"), let offsetHours = number(index + 1..<index + 3),
                  let offsetMinutes = number(index + 4..<index + 6), offsetHours < 24, offsetMinutes < 60 else { return nil }
            offset = (bytes[index] == UInt8(ascii: "-") ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60)
        }
        let wall = date.dayNumber * 86_400 + Int64(hours * 3600 + minutes * 60 + seconds)
        self.init(instant: wall - Int64(offset), offset: offset)
    }
}

extension PeriodRange {
    /// Its start as the client wrote it: a date, or a time with its offset.
    public var writtenStart: String {
        switch self {
        case .dates(let start, _): "\(start)"
        case .times(let start, _): Schedule.written(start)
        }
    }
}

extension PeriodRange: CustomStringConvertible {
    /// The range as the client gave it (for telling two requests under one Idempotency-Key apart).
    public var description: String {
        switch self {
        case .dates(let start, let end): "\(start)/\(end.map { "\($0)" } ?? "")"
        case .times(let start, let end): "\(Schedule.written(start))/\(end.map(Schedule.written) ?? "")"
        }
    }
}

extension Schedule {
    /// The local date a period belongs to: a day's or night's own, a slot's start's.
    public func date(of key: PeriodKey) -> LocalDate {
        key.kind == .slot ? zone.wallTime(at: key.index * 60).date : LocalDate(dayNumber: key.index)
    }
}
