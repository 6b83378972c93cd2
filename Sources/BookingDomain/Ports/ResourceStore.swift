/// The catalogue: reading resources, and their names and descriptions. Their stock changes only through
/// the ``Inventory``.
public protocol ResourceStore: Sendable {
    /// Every resource, by id.
    func all() async throws -> [Resource]
    func find(_ reference: ResourceReference) async throws -> Resource?
    /// Each resource with its bookings counted.
    func stockReport() async throws -> [ResourceStock]
    /// Changes the name and/or description; nil when the resource does not exist.
    ///
    /// - Throws: ``AppError/resourceNameTaken`` when another resource has the name (regardless of case).
    func describe(id: Int, name: String?, description: String?) async throws -> Resource?
}
