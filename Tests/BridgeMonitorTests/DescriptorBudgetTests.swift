import BridgeMonitor
import Testing

/// What the monitor may hold open, fitted into a descriptor limit.
@Suite struct DescriptorBudgetTests {
  static let wanted = DescriptorBudget(consoles: 64, standbys: 4, pending: 32, metricsConnections: 16, tcpProbes: 0, reserve: 16)

  @Test func aBudgetThatFitsIsKeptWhole() throws {
    let fitted = try #require(Self.wanted.fitted(into: 4096))
    #expect(fitted.budget == Self.wanted)
    #expect(fitted.lowered.isEmpty)
  }

  @Test func aShortLimitLowersConnectionsBeforeTheirHelloFirstThenMetricsThenConsolesAndSaysSo() throws {
    #expect(Self.wanted.total == DescriptorBudget.base + 16 + 64 + 4 + 32 + 16)
    let fitted = try #require(Self.wanted.fitted(into: 64))
    #expect(fitted.budget.total <= 64)
    #expect(fitted.budget.pending == 4 && fitted.budget.metricsConnections == 2)
    #expect(fitted.budget.consoles == 64 - DescriptorBudget.base - 16 - 4 - 4 - 2)
    #expect(fitted.budget.standbys == 4, "standbys are lowered last")
    #expect(
      fitted.lowered == [
        "connections before their hello 32 -> 4", "metrics connections 16 -> 2", "console.max_consoles 64 -> \(fitted.budget.consoles)",
      ])
    // Only what is needed goes: a little short lowers only the connections before their hello.
    let slightly = try #require(Self.wanted.fitted(into: Self.wanted.total - 10))
    #expect(slightly.budget.pending == 22 && slightly.lowered == ["connections before their hello 32 -> 22"])
  }

  @Test func aLimitBelowTheFloorsDoesNotFit() {
    var probing = Self.wanted
    probing.tcpProbes = 500
    #expect(probing.fitted(into: 256) == nil, "500 TCP probes in flight cannot fit in 256 descriptors")
    #expect(Self.wanted.fitted(into: DescriptorBudget.base + 16 + 1 + 1 + 4 + 2) != nil)
    #expect(Self.wanted.fitted(into: DescriptorBudget.base + 16 + 1 + 1 + 4 + 1) == nil)
  }
}
