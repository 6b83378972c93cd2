import Foundation
import Testing
@testable import BookingApp
@testable import BookingDomain
@testable import BookingPersistence

@Suite("The README keeps its promises")
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Variables named in the README's configuration table (the first table of that section).
    static func documentedVariables() throws -> Set<String> {
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Configuration").dropFirst().first)
        let table = section.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("| variable") }
            .prefix { $0.hasPrefix("|") }
        return Set(table.compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
    }

    /// Variables the configuration code reads (`env["X"]`, `env.integer("X"`, `env.boolean("X"`), plus Vapor's own LOG_LEVEL.
    static func readVariables() throws -> Set<String> {
        let source = try String(contentsOf: root.appendingPathComponent("Sources/BookingApp/Configuration/AppConfig.swift"), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"env(?:\.integer\(|\.boolean\(|\[)"([A-Z_]+)""#)
        let range = NSRange(source.startIndex..., in: source)
        let names = pattern.matches(in: source, range: range).compactMap { Range($0.range(at: 1), in: source).map { String(source[$0]) } }
        return Set(names).union(["LOG_LEVEL"])
    }

    @Test("the configuration table lists exactly the variables the code reads")
    func configurationTable() throws {
        let documented = try Self.documentedVariables(), read = try Self.readVariables()
        #expect(read.count >= 8, "the scan found the code's variables: \(read)")
        #expect(documented == read, "only in README: \(documented.subtracting(read)); only in code: \(read.subtracting(documented))")
    }

    @Test("the README opens with the run command and the test command that .ci/run calls")
    func twoCommands() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let ci = try String(contentsOf: Self.root.appendingPathComponent(".ci/run"), encoding: .utf8)
        let firstBlock = try #require(readme.components(separatedBy: "```sh").dropFirst().first?.components(separatedBy: "```").first)
        #expect(firstBlock.contains("swift run booking"))
        #expect(firstBlock.contains("scripts/test"))
        #expect(ci.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) == "scripts/test")
    }

    @Test("the README's API table lists every API route the server has, and nothing it lacks, with who may call it")
    func apiTable() async throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## API").dropFirst().first)
        var documented: [String: String] = [:]
        for line in section.split(separator: "\n").drop(while: { !$0.hasPrefix("| method and path") }).prefix(while: { $0.hasPrefix("|") }) {
            // | `GET /bookings/{id}/` | token | ...  ->  GET bookings/: , token
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 2, cells[0].hasPrefix("`") else { continue }
            let parts = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`")).split(separator: " ")
            guard parts.count == 2 else { continue }
            let path = parts[1].split(separator: "/").map { $0.hasPrefix("{") ? ":" : String($0) }.joined(separator: "/")
            documented["\(parts[0]) \(path)"] = cells[1]
        }
        #expect(documented.count >= 10, "the scan found the table: \(documented)")
        // The operational endpoints are described after the configuration table instead.
        let operational: Set<String> = ["health", "ready", "metrics", "openapi.json", "docs"]
        let who: [Access: String] = [.anyone: "anyone", .user: "token", .admin: "admin"]
        try await withBookingApp(.sqlite) { client in
            let served = client.app.routeSignatures(excluding: operational)
            let listed = Set(documented.keys)
            #expect(listed == served, "only in README: \(listed.subtracting(served)); only served: \(served.subtracting(listed))")
            for route in client.app.routes.all {
                let signature = client.app.signature(of: route)
                guard let stated = documented[signature], let access = route.access else { continue }
                #expect(stated == who[access], "\(signature): the README says \(stated), the route is \(access)")
            }
        }
    }
}
