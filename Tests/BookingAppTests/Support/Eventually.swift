import Testing

/// Polls `condition` every 5 ms until it holds, for at most `limit` (generous: a loaded machine may be slow,
/// and the bound only keeps a broken test from hanging); records a failure, at the caller's line, if it
/// never does.
func eventually(within limit: Duration = .seconds(120), sourceLocation: SourceLocation = #_sourceLocation,
                _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !(await condition()), ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(5))
    }
    #expect(await condition(), sourceLocation: sourceLocation)
}
