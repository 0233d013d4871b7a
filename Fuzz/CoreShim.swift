// What the fuzzers' build of BridgeCore leaves out, in the few lines the rest of the module needs: the config
// loader (it needs Yams) and heartbeat authentication (it needs swift-crypto). Neither is reached by a decoder.

public struct LoadedConfig: Sendable {
  public var config: ConferenceConfig
  public var warnings: [ConfigProblem]
}

public struct HeartbeatAuthenticator {
  public let requireAuth: Bool

  public init(config: ConferenceConfig) { requireAuth = config.udp.requireAuth }

  public func hasKey(site index: Int) -> Bool { false }

  public func check(
    _ heartbeat: Heartbeat, bytes: UnsafeRawBufferPointer, site index: Int,
    last: (timestamp: UInt64, sequence: UInt64)?, nowUnixSeconds: Double
  ) -> RejectionReason? { nil }
}

public enum ConfigLoader {
  public static let maximumExpected = 1_000_000
}
