import BridgeCore
import BridgeField
import BridgeTUI
import Crypto
import Foundation

/// Times the hot paths in-process at national scale. Each figure is the median of several samples, printed next
/// to a reference measured in the same run, so a noisy machine moves both.
public struct MicroBenchmarks {
  let sites: Int
  let samples: Int
  /// Run only the groups whose name contains this (ingest, bridge, console, engine, frame, filter); nil runs all.
  var only: String?

  public init(sites: Int, samples: Int, only: String?) {
    self.sites = sites
    self.samples = samples
    self.only = only
  }

  func wants(_ group: String) -> Bool { only.map { group.contains($0) } ?? true }

  public struct Result {
    public var name: String
    public var nanosecondsPerOperation: Double
    public var target: Double?
    public var note = ""
  }

  static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

  /// Runs `body` `samples` times (each returning how many operations it did) and gives the median time per operation.
  func median(_ body: () -> (operations: Int, nanoseconds: UInt64)) -> Double {
    var perOperation: [Double] = []
    for _ in 0..<samples {
      let (operations, nanoseconds) = body()
      perOperation.append(Double(nanoseconds) / Double(max(1, operations)))
    }
    perOperation.sort()
    return perOperation[perOperation.count / 2]
  }

  func config(signed: Bool) -> ConferenceConfig {
    var config = ConferenceConfig(sites: DemoRoster.national(sites: sites, heartbeatDirectory: "/nonexistent"))
    config.timing.interval = .seconds(1)
    if signed {
      for site in config.sites { config.keys[site.id] = Array("bench-secret-\(site.id)".utf8) }
      config.udp.requireAuth = true
    }
    return config
  }

  /// `rounds` heartbeats per site, round-robin, as the wire bytes (signed with each site's key when `signed`).
  func datagrams(_ config: ConferenceConfig, rounds: Int, unixSeconds: UInt64) -> [[UInt8]] {
    var out: [[UInt8]] = []
    out.reserveCapacity(rounds * config.sites.count)
    for round in 0..<rounds {
      for site in config.sites {
        let line = HeartbeatCodec.encode(
          site: site.id, sequence: UInt64(round + 1), count: site.expected - round % 7,
          timestamp: config.keys.isEmpty ? nil : unixSeconds, state: nil, rttMilliseconds: 40)
        let signed = config.keys[site.id].map { HeartbeatAuthenticator.sign(line, secret: $0) } ?? line
        out.append(Array(signed.utf8))
      }
    }
    return out
  }

  public func run() -> [Result] {
    var results: [Result] = []
    let unixSeconds = UInt64(Date().timeIntervalSince1970)
    let start = ClockReading(monotonicNanos: 1_000_000_000_000, unixSeconds: Double(unixSeconds))

    // Ingest: decode + (verify) + apply, through MonitorState as the monitor does it.
    for signed in [false, true] where wants(signed ? "ingest-signed" : "ingest-unsigned") {
      let config = config(signed: signed)
      let wire = datagrams(config, rounds: 8, unixSeconds: unixSeconds)
      var accepted = 0
      let time = median {
        var state = MonitorState(config: config)
        var reading = start
        let begin = Self.now()
        for (offset, bytes) in wire.enumerated() {
          if offset % config.sites.count == 0 { reading = reading.advanced(by: .seconds(1)) }
          if case .accepted = bytes.withUnsafeBytes({ state.receiveDatagram($0, now: reading) }) { accepted += 1 }
        }
        return (wire.count, Self.now() - begin)
      }
      precondition(accepted == wire.count * samples, "the benchmark's heartbeats must all be accepted")
      results.append(
        Result(
          name: signed ? "ingest: decode + verify + apply, signed" : "ingest: decode + apply, unsigned", nanosecondsPerOperation: time,
          target: signed ? 2000 : nil))
      if signed {
        // Reference: the HMAC-SHA256 alone over the same bytes, from a keyed state prepared once per site as the
        // authenticator does: the floor for a signed heartbeat.
        let keyed = config.sites.map { HMAC<SHA256>(key: SymmetricKey(data: config.keys[$0.id]!)) }
        let hmac = median {
          let begin = Self.now()
          for (offset, bytes) in wire.enumerated() {
            var mac = keyed[offset % keyed.count]
            bytes.withUnsafeBytes { mac.update(data: UnsafeRawBufferPointer(rebasing: $0.dropLast(69))) }
            _ = mac.finalize()  // BoringSSL underneath: not optimised away
          }
          return (wire.count, Self.now() - begin)
        }
        results.append(Result(name: "  reference: HMAC-SHA256 of the same bytes", nanosecondsPerOperation: hmac))
      }
    }

    if wants("bridge") { results += bridgeReconcile(unixSeconds: Double(unixSeconds)) }

    if wants("console") { results += consoleAttach(start: start) }

    guard wants("engine") || wants("frame") || wants("filter") else { return results }
    // The engine's tick and a roll-up recount, with every site online.
    let config = config(signed: false)
    var state = MonitorState(config: config)
    for bytes in datagrams(config, rounds: 1, unixSeconds: unixSeconds) {
      _ = bytes.withUnsafeBytes { state.receiveDatagram($0, now: start) }
    }
    var engine = state.engine
    var tickReading = start
    let tick = median {
      let begin = Self.now()
      for _ in 0..<50 {
        tickReading = tickReading.advanced(by: .milliseconds(10))
        engine.tick(now: tickReading)
      }
      return (50, Self.now() - begin)
    }
    results.append(
      Result(name: "engine tick, \(NumberText.grouped(sites)) sites", nanosecondsPerOperation: tick, note: "nothing heard since the last"))
    // A second of a conference at the default 5 s interval: a fifth of the sites heard, then the tick (its silence
    // pass) and the publish taking which records changed. The heartbeats' own cost is the ingest figure's.
    let fifth = config.sites.indices.filter { $0 % 5 == 0 }
    var loaded = state.engine
    _ = loaded.takeChangedSites()
    var loadReading = start
    var changedTaken = 0
    func hearFifth() {
      loadReading = loadReading.advanced(by: .milliseconds(10))
      for index in fifth { loaded.heartbeat(HeartbeatInput(source: .udp), site: index, heardAt: loadReading, now: loadReading) }
    }
    let loadedTick = median {
      var spent: UInt64 = 0
      for _ in 0..<10 {
        hearFifth()
        let begin = Self.now()
        loaded.tick(now: loadReading)
        spent += Self.now() - begin
        _ = loaded.takeChangedSites()
      }
      return (10, spent)
    }
    results.append(
      Result(name: "  engine tick after a fifth of the sites were heard", nanosecondsPerOperation: loadedTick, note: "its silence pass"))
    let changesTaken = median {
      var spent: UInt64 = 0
      for _ in 0..<10 {
        hearFifth()
        let begin = Self.now()
        changedTaken += loaded.takeChangedSites().sites.count
        spent += Self.now() - begin
      }
      return (10, spent)
    }
    precondition(changedTaken == fifth.count * 10 * samples, "every site heard must be taken as changed")
    results.append(
      Result(
        name: "changed sites taken (\(NumberText.grouped(fifth.count)) of \(NumberText.grouped(sites)))",
        nanosecondsPerOperation: changesTaken, note: "what the console delta and headcount samples look at"))
    // A console delta's sorting of records into changed, heard again and unchanged, as the console thread does it
    // for a publish: from the sites the engine says it wrote, and (the way before, still taken when an update was
    // missed) over every record.
    let before = loaded.records.all
    hearFifth()
    let after = loaded.records.all
    let written = loaded.takeChangedSites().sites
    var sorted = 0
    func sortForDelta(_ indices: some Sequence<Int>) -> Int {
      indices.reduce(0) { $0 + (ConsoleSite.change(from: before[$1], to: after[$1]) == .none ? 0 : 1) }
    }
    let fromChanges = median {
      let begin = Self.now()
      sorted += sortForDelta(written.lazy.map { Int($0) })
      return (1, Self.now() - begin)
    }
    let overAll = median {
      let begin = Self.now()
      sorted += sortForDelta(after.indices)
      return (1, Self.now() - begin)
    }
    precondition(sorted == 2 * written.count * samples, "both ways must find the same sites heard again")
    results.append(Result(name: "console delta from the changed sites", nanosecondsPerOperation: fromChanges, note: "once per publish"))
    results.append(
      Result(name: "  the same by comparing every record", nanosecondsPerOperation: overAll, note: "when an update was missed"))
    // The first heartbeat after each snapshot for the faces copies every record (the snapshot shares them), once a
    // second at load; the reference copies the same bytes without looking at them.
    let records = engine.records.all
    let recordsCopy = median {
      let begin = Self.now()
      let copy = UnsafeMutableBufferPointer<SiteRecord>.allocate(capacity: records.count)
      _ = copy.initialize(from: records)
      copy.deinitialize().deallocate()
      return (1, Self.now() - begin)
    }
    let bytesCopy = median {
      let begin = Self.now()
      let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: records.count * MemoryLayout<SiteRecord>.stride, alignment: 16)
      records.withUnsafeBytes { copy.copyMemory(from: $0) }
      copy.deallocate()
      return (1, Self.now() - begin)
    }
    results.append(
      Result(
        name: "copy of \(NumberText.grouped(records.count)) site records (\(MemoryLayout<SiteRecord>.stride) B each)",
        nanosecondsPerOperation: recordsCopy, note: "after each snapshot, at load"))
    results.append(Result(name: "  reference: memcpy of the same bytes", nanosecondsPerOperation: bytesCopy))
    var groupsSeen = 0
    let recount = median {
      let begin = Self.now()
      for _ in 0..<20 { groupsSeen += Rollup.recount(sites: engine.sites, records: engine.records.all, groups: engine.groups).count }
      return (20, Self.now() - begin)
    }
    results.append(
      Result(
        name: "roll-up recount from scratch, \(NumberText.grouped(engine.groups.nodes.count - 1)) groups", nanosecondsPerOperation: recount,
        note: "the engine updates incrementally instead"))

    // Frames and filtering over a national snapshot in a mix of states.
    let snapshot = Self.mixedSnapshot(config, start: start)
    if wants("engine") {
      // The status file, encoded as the monitor does it: fixed parts escaped once, one buffer reused.
      let fixed = StatusFileEncoder.FixedParts(snapshot)
      var buffer: [UInt8] = []
      var bytes = 0
      let encode = median {
        let begin = Self.now()
        for _ in 0..<5 {
          StatusFileEncoder.encode(snapshot, fixed: fixed, into: &buffer)
          bytes += buffer.count
        }
        return (5, Self.now() - begin)
      }
      results.append(
        Result(
          name: "status file: encode \(NumberText.grouped(sites)) sites", nanosecondsPerOperation: encode,
          note: "\(bytes / (5 * samples) / 1024) KiB"))
    }
    func frame(_ width: Int, _ height: Int, _ configure: (inout DashboardState) -> Void) -> Double {
      var dashboard = DashboardState()
      configure(&dashboard)
      let context = ViewContext(width: width, height: height)
      _ = DashboardView.render(snapshot, state: &dashboard, context: context)  // builds the roster index once
      return median {
        let begin = Self.now()
        for _ in 0..<10 { _ = DashboardView.render(snapshot, state: &dashboard, context: context) }
        return (10, Self.now() - begin)
      }
    }
    let empty = median {
      let begin = Self.now()
      for _ in 0..<10 { _ = ScreenBuffer(width: 250, height: 70) }
      return (10, Self.now() - begin)
    }
    results.append(Result(name: "frame: table 250x70, by group", nanosecondsPerOperation: frame(250, 70) { _ in }, target: 2_000_000))
    results.append(
      Result(
        name: "frame: table 250x70, by severity", nanosecondsPerOperation: frame(250, 70) { $0.listOptions.sort = .severity },
        target: 2_000_000))
    results.append(Result(name: "frame: table 120x40, by group", nanosecondsPerOperation: frame(120, 40) { _ in }, target: 2_000_000))
    results.append(Result(name: "frame: wall 250x70", nanosecondsPerOperation: frame(250, 70) { $0.showsWall = true }, target: 2_000_000))
    results.append(Result(name: "  reference: an empty 250x70 buffer", nanosecondsPerOperation: empty))

    var filtering = DashboardState()
    _ = DashboardView.render(snapshot, state: &filtering, context: ViewContext(width: 250, height: 70))
    _ = filtering.handle(.character("/"), snapshot: snapshot)
    let query = Array("hoa binh")
    let keystroke = median {
      let begin = Self.now()
      for character in query { _ = filtering.handle(.character(character), snapshot: snapshot) }
      for _ in query { _ = filtering.handle(.backspace, snapshot: snapshot) }
      return (query.count * 2, Self.now() - begin)
    }
    results.append(Result(name: "filter keystroke (re-filter and re-list)", nanosecondsPerOperation: keystroke, target: 5_000_000))
    return results
  }

  /// Sites in a fixed mix: mostly online, some late, offline, never heard, marked, asking for help.
  static func mixedSnapshot(_ config: ConferenceConfig, start: ClockReading) -> MonitorSnapshot {
    var state = MonitorState(config: config)
    let now = start.advanced(by: .seconds(60))
    state.withEngine { engine in
      engine.tick(now: start)
      for index in config.sites.indices {
        let hash = (UInt64(index) &* 2_654_435_761) % 1000
        let input = HeartbeatInput(
          source: .udp, sequence: 1, count: config.sites[index].expected * 9 / 10, state: hash < 80 && hash >= 70 ? .help : .ok)
        switch hash {
        case 0..<20: break
        case 20..<45: engine.heartbeat(input, site: index, heardAt: start, now: start)
        default: engine.heartbeat(input, site: index, heardAt: now, now: now)
        }
        if (80..<90).contains(hash) { try? engine.mark(site: index, operatorName: "bench", reason: "line down", now: now) }
      }
      engine.tick(now: now)
    }
    return state.snapshot(now: now, title: "Hội nghị trực tuyến toàn quốc")
  }

  /// One figure's line: its name, the time per operation, the target met or missed, the note.
  public static func line(_ result: Result) -> String {
    var line = result.name.padding(toLength: 52, withPad: " ", startingAt: 0) + format(result.nanosecondsPerOperation)
    if let target = result.target {
      line += "   target < \(format(target))  \(result.nanosecondsPerOperation < target ? "MET" : "MISSED")"
    }
    if !result.note.isEmpty { line += "   (\(result.note))" }
    return line
  }

  public static func format(_ nanoseconds: Double) -> String {
    if nanoseconds >= 1_000_000 { return String(format: "%.2f ms", nanoseconds / 1_000_000) }
    if nanoseconds >= 1000 { return String(format: "%.2f µs", nanoseconds / 1000) }
    return String(format: "%.0f ns", nanoseconds)
  }
}
