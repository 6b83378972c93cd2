import BookingDomain
import Foundation
import SQLKit

struct SQLHoldStore: HoldStore {
    let session: SQLSession

    private static let from: SQLQueryString = """
        holds h JOIN resources r ON r.id = h.resource_id LEFT JOIN bookings b ON b.hold_id = h.id
        """

    func find(id: Int) async throws -> Hold? {
        try await session.sql.raw("SELECT \(Hold.columns) FROM \(Self.from) WHERE h.id = \(bind: id)").first().map(Hold.init(row:))
    }

    /// Newest first; ids grow with time, and ordering by id keeps pages stable.
    func list(_ filter: HoldFilter, at now: Date) async throws -> [Hold] {
        var conditions: [SQLQueryString] = []
        if let userID = filter.userID { conditions.append("h.user_id = \(bind: userID)") }
        if let resourceID = filter.resourceID { conditions.append("h.resource_id = \(bind: resourceID)") }
        // The status as at `now` (`Hold.status(at:)`): a hold stored as held is expired once it has lapsed.
        switch filter.status {
        case nil: break
        case .held: conditions.append("h.status = 'held' AND NOT (\(Hold.lapsed(at: now)))")
        case .expired: conditions.append("(h.status = 'expired' OR (h.status = 'held' AND \(Hold.lapsed(at: now))))")
        case .some(let status): conditions.append("h.status = \(bind: status.rawValue)")
        }
        let whereClause: SQLQueryString = conditions.isEmpty ? "" : " WHERE \(conditions.joined(separator: " AND "))"
        return try await session.sql.raw("""
            SELECT \(Hold.columns) FROM \(Self.from)\(whereClause)
            ORDER BY h.id DESC LIMIT \(bind: filter.limit) OFFSET \(bind: filter.offset)
            """).all().map(Hold.init(row:))
    }
}

extension SQLHoldStore {
    func purgeEnded(before: Date, limit: Int) async throws -> Int {
        try await session.deleteBatch(from: "holds", key: ["id"],
                                      where: "status IN ('released', 'expired') AND ended_at < \(bind: before)", limit: limit)
    }
}
