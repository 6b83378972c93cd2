import BookingDomain
import CoreMetrics
import Foundation

/// Counts the public catalogue's reads by where they were answered (`booking_catalogue_reads_total{from=}`).
public struct ReplicaReads: Sendable {
    let replica: Counter
    let primary: Counter

    public init(factory: any MetricsFactory) {
        replica = Counter(label: "booking_catalogue_reads_total", dimensions: [("from", "replica")], factory: factory)
        primary = Counter(label: "booking_catalogue_reads_total", dimensions: [("from", "primary")], factory: factory)
    }
}

/// The catalogue read from the replicas, and from the primary when they cannot answer: a replica's
/// outage costs the readers nothing but a moment's staleness, never a 503. Reads only: nothing decided
/// here is ever written back.
struct ReplicaResourceStore: ResourceStore {
    let replica: any ResourceStore
    let primary: any ResourceStore
    let reads: ReplicaReads?

    private func read<T: Sendable>(_ work: (any ResourceStore) async throws -> T) async throws -> T {
        do {
            let answer = try await work(replica)
            reads?.replica.increment()
            return answer
        } catch where StorageFailure.isUnavailable(error) {
            reads?.primary.increment()
            return try await work(primary)
        }
    }

    func all(at now: Date) async throws -> [Resource] { try await read { try await $0.all(at: now) } }
    func page(_ filter: CatalogueFilter, at now: Date) async throws -> [Resource] { try await read { try await $0.page(filter, at: now) } }
    func catalogueJSON(cap: Int, at now: Date) async throws -> (json: String, more: Bool)? {
        try await read { try await $0.catalogueJSON(cap: cap, at: now) }
    }
    func find(_ reference: ResourceReference, at now: Date) async throws -> Resource? { try await read { try await $0.find(reference, at: now) } }
    func unitsHeld(at now: Date) async throws -> Int { try await primary.unitsHeld(at: now) }
    func calendar(of resource: Resource, from: LocalDate, to: LocalDate) async throws -> [(date: LocalDate, total: Int)] {
        try await read { try await $0.calendar(of: resource, from: from, to: to) }
    }
    func datedPage(kinds: [PeriodKey.Kind], search: String?, after: Int, limit: Int, least: (from: Int64, to: Int64)?,
                   at now: Date) async throws -> [(resource: Resource, least: Int?)] {
        try await read { try await $0.datedPage(kinds: kinds, search: search, after: after, limit: limit, least: least, at: now) }
    }
    func availabilityJSON(of resource: Resource, from: LocalDate, to: LocalDate, quantity: Int?, at now: Date) async throws -> String? {
        try await read { try await $0.availabilityJSON(of: resource, from: from, to: to, quantity: quantity, at: now) }
    }
    func periodStock(of resource: Resource, periods: [PeriodKey], at now: Date) async throws -> [PeriodKey: Stock] {
        try await read { try await $0.periodStock(of: resource, periods: periods, at: now) }
    }
    func stockReport(at now: Date) async throws -> [ResourceStock] { try await primary.stockReport(at: now) }
}
