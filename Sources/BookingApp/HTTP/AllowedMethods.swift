import Vapor

/// Which methods the server answers for a path, for the `Allow` header of a 405.
enum AllowedMethods {
    /// The methods of every route whose pattern matches `path`, sorted, with HEAD wherever GET is (Vapor
    /// answers HEAD with the GET route); empty when no route serves the path at all.
    static func forPath(_ path: String, in routes: [Route]) -> [String] {
        // Split as Vapor's router does: empty components (a trailing slash) do not count.
        let components = path.split(separator: "/")
        var methods = Set<String>()
        for route in routes where matches(route.path, components) {
            methods.insert(route.method.rawValue)
            if route.method == .GET { methods.insert(HTTPMethod.HEAD.rawValue) }
        }
        return methods.sorted()
    }

    private static func matches(_ pattern: [PathComponent], _ components: [Substring]) -> Bool {
        for (index, part) in pattern.enumerated() {
            switch part {
            case .catchall:
                return components.count > index
            case .anything:
                guard index < components.count else { return false }
            case .parameter:
                // Every path parameter is an integer id (`Request.pathID()`).
                guard index < components.count, Int(components[index]) != nil else { return false }
            case .constant(let constant):
                guard index < components.count, components[index] == constant else { return false }
            }
        }
        return pattern.count == components.count
    }
}
