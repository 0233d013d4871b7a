/// Runs `body`, then `stop`, whether `body` returned or threw, and waits for the stop: what a fixture made (its
/// temporary folder, its sockets, its threads) is gone before the test ends. `defer { Task { await stop() } }`
/// left the stop to a task the test process could end before, and left folders in /tmp.
public func stopping(_ stop: () async -> Void, _ body: () async throws -> Void) async throws {
  do {
    try await body()
  } catch {
    await stop()
    throw error
  }
  await stop()
}
