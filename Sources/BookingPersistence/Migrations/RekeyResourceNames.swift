import BookingDomain
import FluentKit
import SQLKit

/// Resource names are the same name when their `resourceNameKey`s are (no-break spaces, compatibility
/// forms and joiners folded), no longer only when they match regardless of case: every stored key is
/// recomputed. Two existing resources whose names now count as one keep their names: one of them (the one
/// whose key would change; the newer if both would) keeps its old key, still unique, so nothing is renamed
/// behind an admin's back and the admin can rename either.
struct RekeyResourceNames: BookingMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let rows = try await sql.raw("SELECT id, name, name_key FROM resources ORDER BY id").all()
        let resources = try rows.map {
            (id: try $0.decode(column: "id", as: Int.self), name: try $0.decode(column: "name", as: String.self),
             key: try $0.decode(column: "name_key", as: String.self))
        }
        // Keys that do not change are taken first, so no new key can collide with a key left in place.
        var taken = Set(resources.filter { $0.name.resourceNameKey == $0.key }.map(\.key))
        for resource in resources {
            let key = resource.name.resourceNameKey
            guard key != resource.key else { continue }
            if taken.contains(key) {
                database.logger.warning("Resource \(resource.id) keeps its old name key: its name now counts as another resource's name",
                                        metadata: ["name": .string(resource.name)])
                continue
            }
            taken.insert(key)
            try await sql.raw("UPDATE resources SET name_key = \(bind: key) WHERE id = \(bind: resource.id)").run()
        }
    }

    /// The old keys come back: each name lowercased.
    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let rows = try await sql.raw("SELECT id, name FROM resources").all()
        for row in rows {
            let id = try row.decode(column: "id", as: Int.self), name = try row.decode(column: "name", as: String.self)
            try await sql.raw("UPDATE resources SET name_key = \(bind: name.uniquenessKey) WHERE id = \(bind: id)").run()
        }
    }
}
