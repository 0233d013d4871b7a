/// Random numbers the simulator can look up by key: the same (seed, keys) always give the same value, whatever
/// order sites and heartbeats are generated in. SplitMix64's finaliser, which mixes well enough for rehearsals.
public enum SimRandom {
  public static func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  public static func hash(_ seed: UInt64, _ keys: UInt64...) -> UInt64 {
    var state = mix(seed)
    for key in keys { state = mix(state ^ key) }
    return state
  }

  /// Uniform in [0, 1).
  public static func unit(_ seed: UInt64, _ keys: UInt64...) -> Double {
    var state = mix(seed)
    for key in keys { state = mix(state ^ key) }
    return Double(state >> 11) * 0x1.0p-53
  }
}
