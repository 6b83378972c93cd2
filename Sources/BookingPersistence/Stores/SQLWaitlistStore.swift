import BookingDomain
import Foundation
import SQLKit

struct SQLWaitlistStore: WaitlistStore {
    let session: SQLSession

    func find(id: Int) async throws -> WaitlistEntry? {
        try await session.sql.raw("SELECT \(WaitlistEntry.columns) FROM \(WaitlistEntry.from) WHERE e.id = \(bind: id)")
            .first().map(WaitlistEntry.init(row:))
    }

    func list(_ filter: WaitlistFilter, at now: Date) async throws -> [WaitlistEntry] {
        var conditions: [SQLQueryString] = []
        if let userID = filter.userID { conditions.append("e.user_id = \(bind: userID)") }
        if let resourceID = filter.resourceID { conditions.append("e.resource_id = \(bind: resourceID)") }
        if let statuses = filter.statuses {
            // The status as at `now` (`WaitlistEntry.status(at:)`): an offer that has lapsed is expired.
            let any = statuses.map { status -> SQLQueryString in
                switch status {
                case .offered: "(e.status = 'offered' AND h.expires_at > \(bind: now))"
                case .expired: "(e.status = 'expired' OR (e.status = 'offered' AND h.expires_at <= \(bind: now)))"
                default: "e.status = \(bind: status.rawValue)"
                }
            }
            conditions.append("(\(any.joined(separator: " OR ")))")
        }
        let whereClause: SQLQueryString = conditions.isEmpty ? "" : " WHERE \(conditions.joined(separator: " AND "))"
        let order: SQLQueryString = switch filter.order {
        case .newestFirst: "e.id DESC"
        case .line: "e.id"
        }
        return try await session.sql.raw("""
            SELECT \(WaitlistEntry.columns) FROM \(WaitlistEntry.from)\(whereClause)
            ORDER BY \(order) LIMIT \(bind: filter.limit) OFFSET \(bind: filter.offset)
            """).all().map(WaitlistEntry.init(row:))
    }

    func waitingCount() async throws -> Int {
        try await session.sql.raw("SELECT CAST(COALESCE(SUM(waiting_count), 0) AS BIGINT) AS n FROM resources")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }
}
