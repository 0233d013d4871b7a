import Foundation

/// The one way tests wait for something another thread or process does: ask `probe` every `interval` until it
/// gives a value or `timeout` has passed, then ask once more at the deadline (a slow machine may get there just
/// in time). Nil when it never did.
public func eventually<T>(
  timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(20), _ probe: () throws -> T?
) rethrows -> T? {
  let deadline = ContinuousClock.now + timeout
  while ContinuousClock.now < deadline {
    if let value = try probe() { return value }
    Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
  }
  return try probe()
}

/// Whether `condition` holds within `timeout`, asked every `interval`.
public func eventually(
  timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(20), _ condition: () throws -> Bool
) rethrows -> Bool {
  try eventually(timeout: timeout, every: interval) { try condition() ? true : nil } ?? false
}

/// `eventually` for a probe that awaits (a monitor's snapshot, a scrape): it sleeps without holding a thread.
public func eventually<T>(
  timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(20), _ probe: () async throws -> T?
) async throws -> T? {
  let deadline = ContinuousClock.now + timeout
  while ContinuousClock.now < deadline {
    if let value = try await probe() { return value }
    try await Task.sleep(for: interval)
  }
  return try await probe()
}

/// Whether an awaited `condition` holds within `timeout`, asked every `interval`.
public func eventually(
  timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async throws -> Bool {
  try await eventually(timeout: timeout, every: interval) { try await condition() ? true : nil } ?? false
}
