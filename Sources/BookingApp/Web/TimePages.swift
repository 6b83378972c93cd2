import BookingDomain
import Vapor

/// What a dated resource's page shows to pick from: a month of days or nights with the units left in
/// each, or one day's slots; and the form's range read back into the request's `PeriodRange`.
struct TimeChooser: Encodable, Sendable {
    struct Cell: Encodable, Sendable {
        let blank: Bool
        let day: Int
        let date: String
        let left: Int
        let closed: Bool
        let full: Bool
    }

    struct Slot: Encodable, Sendable {
        let value: String
        let label: String
        let left: Int
        let full: Bool
    }

    let slots: Bool
    /// "night", "day" or "slot".
    let unit: String
    let zone: String
    let title: String
    let previous: String
    let next: String
    let weeks: [[Cell]]
    let times: [Slot]
    let startLabel: String
    let endLabel: String
    let noSlots: Bool

    /// The chooser for `resource` (which has a schedule) around `month` (days, nights: `YYYY-MM`) or `day`
    /// (slots: `YYYY-MM-DD`), today in its zone when absent or unreadable.
    static func make(for resource: Resource, query: Request, resources: ResourceService, now: Date) async throws -> TimeChooser? {
        guard let schedule = resource.schedule else { return nil }
        let today = schedule.zone.wallTime(at: Int64(now.timeIntervalSince1970.rounded(.down))).date
        let path = "/resource/\(resource.id)"
        if schedule.kind == .slots {
            let day = query.queryText("day").flatMap(LocalDate.init) ?? today
            let (_, periods) = try await resources.availability(id: resource.id, from: "\(day)", to: "\(day.adding(days: 1))", quantity: nil)
            let times = periods.map { period in
                Slot(value: period.start, label: Self.clock(period.start) + "–" + Self.clock(period.end), left: period.stock.available,
                     full: period.stock.available == 0)
            }
            return TimeChooser(slots: true, unit: "slot", zone: schedule.zone.identifier, title: Self.longDate(day),
                               previous: "\(path)?day=\(day.adding(days: -1))", next: "\(path)?day=\(day.adding(days: 1))", weeks: [],
                               times: times, startLabel: "First slot", endLabel: "Slots", noSlots: times.isEmpty)
        }
        var first = today
        if let text = query.queryText("month"), let parsed = LocalDate(text + "-01") { first = parsed }
        first = LocalDate(year: first.year, month: first.month, day: 1) ?? first
        let next = first.adding(days: 32), following = LocalDate(year: next.year, month: next.month, day: 1) ?? next
        let before = first.adding(days: -1)
        let (_, periods) = try await resources.availability(id: resource.id, from: "\(first)", to: "\(following)", quantity: nil)
        let left = Dictionary(periods.map { ($0.start, $0.stock) }, uniquingKeysWith: { a, _ in a })
        var cells = Array(repeating: Cell(blank: true, day: 0, date: "", left: 0, closed: false, full: false), count: first.weekday - 1)
        var date = first
        while date < following {
            let stock = left["\(date)"]
            cells.append(Cell(blank: false, day: date.day, date: "\(date)", left: stock?.available ?? 0, closed: stock?.total == 0,
                              full: (stock?.available ?? 0) == 0))
            date = date.adding(days: 1)
        }
        while cells.count % 7 != 0 { cells.append(Cell(blank: true, day: 0, date: "", left: 0, closed: false, full: false)) }
        let weeks = stride(from: 0, to: cells.count, by: 7).map { Array(cells[$0..<$0 + 7]) }
        let month = { (day: LocalDate) in String("\(day)".prefix(7)) }
        let nights = schedule.kind == .nightly
        return TimeChooser(slots: false, unit: nights ? "night" : "day", zone: schedule.zone.identifier,
                           title: "\(Self.months[first.month - 1]) \(first.year)", previous: "\(path)?month=\(month(before))",
                           next: "\(path)?month=\(month(following))", weeks: weeks, times: [],
                           startLabel: nights ? "Check-in" : "From", endLabel: nights ? "Check-out" : "Until (the day after the last)",
                           noSlots: false)
    }

    static let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
                         "December"]

    static func longDate(_ day: LocalDate) -> String {
        "\(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][day.weekday - 1]) \(day.day) \(months[day.month - 1]) \(day.year)"
    }

    /// `HH:MM` of an RFC 3339 time as the API writes it (the wall time in the resource's zone).
    static func clock(_ time: String) -> String {
        let characters = Array(time)
        return characters.count >= 16 ? String(characters[11..<16]) : time
    }

    /// A booking's or hold's range in words, in the resource's zone: dates, or a day's times with the offset.
    static func when(_ range: TakenRange?) -> String {
        range.map { when(start: $0.start, end: $0.end) } ?? ""
    }

    /// A range as the API writes it (dates, or times with their offset), for people.
    static func when(start: String, end: String) -> String {
        // Dates, or local times without an offset (an occurrence the clocks skip), as they are.
        guard start.count >= 25, end.count >= 25 else { return "\(start) → \(end)" }
        let offset = String(start.suffix(6))
        let sameDay = start.prefix(10) == end.prefix(10) || clock(end) == "00:00"
        return sameDay ? "\(start.prefix(10)) \(clock(start))–\(clock(end)) (UTC\(offset))"
                       : "\(start.prefix(10)) \(clock(start)) → \(end.prefix(10)) \(clock(end)) (UTC\(offset))"
    }

    struct Form: Content {
        var start: String?
        var end: String?
        /// Slots: how many, from `start`.
        var slots: String?
    }

    /// The range a resource page's form names: dates as given; a first slot and a count of slots, read
    /// along that day's slots (the range's own checks refuse what is not there).
    static func range(of req: Request, for resource: Resource) throws -> PeriodRange? {
        guard let schedule = resource.schedule, let form = try? req.content.decode(Form.self) else { return nil }
        let start = form.start.flatMap { $0.isEmpty ? nil : $0 }, end = form.end.flatMap { $0.isEmpty ? nil : $0 }
        guard schedule.kind == .slots, let start, let first = ZonedInstant(rfc3339: start),
              let count = form.slots.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), count > 1 else {
            return try PeriodRange(start: start, end: end)
        }
        let day = schedule.zone.wallTime(at: first.instant).date
        let slots = schedule.slots(on: day) + schedule.slots(on: day.adding(days: 1))
        guard let index = slots.firstIndex(where: { $0.start == first.instant }), index + count <= slots.count else {
            throw AppError.invalidPeriod(reason: "There are not \(count) slots from \(start).")
        }
        let last = slots[index + count - 1]
        return .times(start: first, end: ZonedInstant(instant: last.end, offset: schedule.zone.offset(at: last.end)))
    }
}
