import BookingDomain
import Foundation
import SQLKit

extension SQLInventory {
    /// A series in one transaction: lock the resource, read each occurrence's periods with its schedule,
    /// let the rule decide every occurrence as a booking at its turn, and let the series' own rule
    /// (``BookingSeries/verdict(_:_:)``) say whether it stands. If it does not, the transaction rolls back,
    /// so a refused series leaves nothing behind; if it does, the series' row, its bookings' link to it,
    /// its event and the key are written in the same transaction.
    func bookSeries(_ request: SeriesRequest, at now: Date, completing key: IdempotencyCompletion?) async throws -> BookingSeries {
        try await storage.withTransaction { tx in
            guard let locked = try await LockedStock.lock(request.resource, at: now, in: tx) else { throw AppError.resourceNotFound }
            guard let schedule = locked.resource.schedule else {
                throw AppError.invalidPeriod(reason: "This resource is a pool: a series is for a resource booked by days, nights or slots.")
            }
            let occurrences = try schedule.occurrences(of: request.first, repeating: request.rule,
                                                       now: Int64(now.timeIntervalSince1970.rounded(.down)))
            var refusals = [AppError?](repeating: nil, count: occurrences.count)
            var admitted: [(index: Int, span: Span)] = []
            for (index, occurrence) in occurrences.enumerated() {
                switch occurrence.range.mapError({ AppError.invalidPeriod(reason: $0.reason) }).flatMap({ locked.span(of: $0) }) {
                case .success(let span): admitted.append((index, span))
                case .failure(let refusal): refusals[index] = refusal
                }
            }
            let applied = try await locked.decide(admitted.map { .book(userID: request.userID, quantity: request.quantity, span: $0.span) })
            var bookingIDs: [Int?] = Array(repeating: nil, count: occurrences.count)
            for (position, admission) in admitted.enumerated() {
                switch applied.plan.outcomes[position] {
                case .success(.booked(let ref)): bookingIDs[admission.index] = applied.booking(ref)
                case .success(let outcome): throw DatabaseInvariantViolation("an occurrence came to \(outcome)")
                case .failure(let refusal): refusals[admission.index] = refusal
                }
            }
            if let refusal = BookingSeries.verdict(request.onConflict, zip(occurrences, refusals).map { ($0.start, $0.end, $1) }) {
                throw refusal
            }
            let made = occurrences.indices.map { index in
                BookingSeries.Occurrence(start: occurrences[index].start, end: occurrences[index].end, bookingID: bookingIDs[index],
                                         status: bookingIDs[index] == nil ? .skipped : .booked, refusal: refusals[index])
            }
            let series = try await Self.record(request, of: applied.resource, made, at: now, in: tx.session)
            try await Self.complete(key, with: .series(series.id), in: tx.session)
            return series
        }
    }

    /// Writes a series that stands: its row, its bookings' link to it, and `series.created`.
    private static func record(_ request: SeriesRequest, of resource: Resource, _ occurrences: [BookingSeries.Occurrence], at now: Date,
                               in session: SQLSession) async throws -> BookingSeries {
        let skipped = occurrences.enumerated().filter { $0.element.status == .skipped }.map {
            SQLSeriesStore.Skipped(position: $0.offset, start: $0.element.start, end: $0.element.end)
        }
        let id = try await session.insertReturningID("""
            INSERT INTO booking_series (resource_id, user_id, purchase_quantity, rrule, on_conflict, first_start, first_end, skipped, created_at)
            VALUES (\(bind: resource.id), \(bind: request.userID), \(bind: request.quantity), \(bind: request.rule.text),
                    \(bind: request.onConflict.rawValue), \(bind: occurrences[0].start), \(bind: occurrences[0].end),
                    \(bind: String(decoding: try JSONEncoder().encode(skipped), as: UTF8.self)), \(bind: now))
            """)
        let series = BookingSeries(id: id, resourceID: resource.id, resourceName: resource.name, userID: request.userID, quantity: request.quantity,
                                   rrule: request.rule.text, onConflict: request.onConflict, createdAt: now, occurrences: occurrences)
        let booked = Set(occurrences.compactMap(\.bookingID))
        try await session.sql.raw("UPDATE bookings SET series_id = \(bind: id) WHERE id IN (\(LockedStock.list(booked)))").run()
        try await session.sql.raw(SQLEventStore.insert(NewEvent(
            .seriesCreated, at: now, by: .user(request.userID),
            subject: EventSubject(resourceID: resource.id, resourceName: resource.name, userID: request.userID),
            quantity: request.quantity * booked.count, details: series.eventDetails()))).run()
        return series
    }

    func cancelSeries(seriesID: Int, ownerID: Int?, from: PeriodRange?, at now: Date, by actor: EventActor) async throws
        -> (series: BookingSeries, cancelled: Int) {
        guard let row = try await session.sql.raw("SELECT resource_id, user_id FROM booking_series WHERE id = \(bind: seriesID)").first()
        else { throw AppError.seriesNotFound }
        let userID = try row.decode(column: "user_id", as: Int.self)
        guard ownerID == nil || ownerID == userID else { throw AppError.seriesNotFound }
        let resourceID = try row.decode(column: "resource_id", as: Int.self)
        return try await storage.withTransaction { tx in
            guard let locked = try await LockedStock.lock(.id(resourceID), at: now, in: tx) else { throw AppError.seriesNotFound }
            var after: SQLQueryString = ""
            if let from, let schedule = locked.resource.schedule {
                after = " AND period_from >= \(bind: schedule.firstKeyIndex(from: from))"
            }
            // Under the resource's lock: an occurrence cancelled meanwhile (alone, or by another cancel of the series) is not here.
            let ids = try await tx.session.sql.raw("""
                SELECT id FROM bookings WHERE series_id = \(bind: seriesID) AND status = \(bind: Booking.Status.active.rawValue)\(after)
                ORDER BY period_from
                """).all().map { try $0.decode(column: "id", as: Int.self) }
            if !ids.isEmpty {
                let applied = try await locked.decide(ids.map { .cancel(bookingID: $0, by: actor) }, bookings: Set(ids))
                for case .failure(let refusal) in applied.plan.outcomes { throw refusal }
            }
            guard let series = try await SQLSeriesStore(session: tx.session).find(id: seriesID) else { throw AppError.seriesNotFound }
            if !ids.isEmpty {
                let cancelled = Set(ids)
                try await tx.session.sql.raw(SQLEventStore.insert(NewEvent(
                    .seriesCancelled, at: now, by: actor,
                    subject: EventSubject(resourceID: series.resourceID, resourceName: series.resourceName, userID: series.userID),
                    quantity: series.quantity * ids.count,
                    details: series.eventDetails(only: cancelled).merging(
                        ["from": from.map { .string($0.writtenStart) } ?? .null]) { $1 }))).run()
            }
            return (series, ids.count)
        }
    }
}

extension BookingSeries {
    /// An event's details: the series, its rule, and its occurrences (those whose booking is in `only`, if given).
    func eventDetails(only: Set<Int>? = nil) -> [String: EventValue] {
        let listed = occurrences.filter { occurrence in only.map { occurrence.bookingID.map($0.contains) ?? false } ?? true }
        return ["series_id": .int(id), "rrule": .string(rrule), "on_conflict": .string(onConflict.rawValue),
                "occurrences": .objects(listed.map { occurrence in
                    ["start": .string(occurrence.start), "end": .string(occurrence.end), "status": .string(occurrence.status.rawValue),
                     "booking_id": occurrence.bookingID.map(EventValue.int) ?? .null]
                })]
    }
}
