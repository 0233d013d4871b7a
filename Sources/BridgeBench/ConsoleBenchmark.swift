import BridgeCore
import BridgeMonitor
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// `bench consoles`: what consoles cost the monitor. A headless monitor (this binary) hears a national conference
/// at one heartbeat per site per second, first with no console, then with N consoles attached (the real socket
/// client and mirror, in this process, without drawing); the monitor's CPU and memory are read from /proc in the
/// same run. Then one console acts and the others are timed until the action is in their screen model.
public struct ConsoleBenchmark {
  let binary: String
  let sites: Int
  let consoles: Int
  let seconds: Int
  let actions: Int
  let directory: String

  public init(binary: String, sites: Int, consoles: Int, seconds: Int, actions: Int, directory: String) {
    self.binary = binary
    self.sites = sites
    self.consoles = consoles
    self.seconds = seconds
    self.actions = actions
    self.directory = directory
  }

  /// Stops and counts the pacing thread.
  final class Pacer: Sendable {
    let stopped = Atomic<Bool>(false)
    let sent = Atomic<Int>(0)
  }

  /// The action under way and when each console first showed it.
  struct Probe {
    var site = 0
    /// The mark's reason once applied; nil: the mark cleared.
    var reason: String?
    var started = 0.0
    var active = false
    var seen: Set<Int> = []
    var samples: [Double] = []
  }

  public func run(report: (String) -> Void) throws {
    report(
      "consoles: \(NumberText.grouped(sites)) sites at one heartbeat per site per second; the monitor alone, then with "
        + "\(consoles) consoles; \(seconds) s each")
    let (configPath, roster) = try LoadBenchmark.writeConference(sites: sites, interval: "1s", name: "consoles", directory: directory)
    let (monitor, port) = try LoadBenchmark.startHeadlessMonitor(binary: binary, config: configPath)
    defer { if monitor.isRunning { monitor.terminate() } }
    let pid = monitor.processIdentifier
    let socketPath = directory + "/consoles.sock"

    // Heartbeats for the whole run from one thread, a round a second, each round spread over its second.
    let pacer = Pacer()
    let pacing = Thread { [roster] in
      // Made on its own thread, which alone uses it; a socket that cannot connect shows as nothing sent.
      guard let blaster = try? LoadBenchmark.Blaster(port: port) else { return }
      // Round r ends r seconds after the start, whatever making the round took: the rate stays exact.
      let begin = LoadBenchmark.now()
      var round = 1
      while !pacer.stopped.load(ordering: .relaxed) {
        let beats = LoadBenchmark.heartbeats(roster, rounds: round..<(round + 1))
        let left = begin + Double(round) - LoadBenchmark.now()
        pacer.sent.add(blaster.pace(beats, seconds: max(0.2, left)), ordering: .relaxed)
        round += 1
      }
    }
    pacing.start()
    defer { pacer.stopped.store(true, ordering: .relaxed) }
    usleep(sites > 1000 ? 8_000_000 : 3_000_000)  // every site connects; the first journal lines are written

    func measure(_ label: String) -> (cpu: Double, rssMiB: Double, receivedPerSecond: Double, serverCPU: Double) {
      let serverBefore = Self.threadCPUSeconds(pid: pid, named: ConsoleServer.threadName) ?? 0
      let readBefore = ProcFiles.value("rchar", in: "/proc/self/io") ?? 0
      let dropsBefore = LoadBenchmark.socketState(port: port)?.drops ?? 0
      let sentBefore = pacer.sent.load(ordering: .relaxed)
      let before = LoadBenchmark.figures(pid: pid)?.cpuSeconds ?? 0
      let begin = LoadBenchmark.now()
      usleep(UInt32(seconds) * 1_000_000)
      let after = LoadBenchmark.figures(pid: pid)?.cpuSeconds ?? 0
      let elapsed = LoadBenchmark.now() - begin
      // What this process read is what its consoles received (the /proc reads are a few kB).
      let received = Double((ProcFiles.value("rchar", in: "/proc/self/io") ?? 0) - readBefore) / elapsed
      let cpu = (after - before) / elapsed * 100
      let serverCPU = ((Self.threadCPUSeconds(pid: pid, named: ConsoleServer.threadName) ?? 0) - serverBefore) / elapsed * 100
      let rss = Double(ProcFiles.value("VmRSS", in: "/proc/\(pid)/status") ?? 0) / 1024
      let drops = (LoadBenchmark.socketState(port: port)?.drops ?? 0) - dropsBefore
      report(
        "\(label): monitor CPU \(String(format: "%.2f", cpu))% of one core (its console thread \(String(format: "%.2f", serverCPU))%), RSS \(String(format: "%.1f", rss)) MiB, "
          + "consoles received \(String(format: "%.2f", received / 1e6)) MB/s; "
          + "\(NumberText.grouped(pacer.sent.load(ordering: .relaxed) - sentBefore)) heartbeats sent, kernel drops \(drops)")
      return (cpu, rss, received, serverCPU)
    }

    let alone = measure("no console")

    let probe = Mutex(Probe())
    var links: [ConsoleClient] = []
    for number in 0..<consoles {
      let link = try ConsoleClient(
        path: socketPath,
        hello: ConsoleHello(operatorName: "bench-\(number)", readOnly: false, group: nil, purpose: .console))
      link.attach { update in
        guard let snapshot = update.snapshot else { return }
        let now = LoadBenchmark.now()
        probe.withLock { probe in
          guard probe.active, number != 0, !probe.seen.contains(number), snapshot.records.indices.contains(probe.site),
            snapshot.records[probe.site].mark?.reason == probe.reason
          else { return }
          probe.seen.insert(number)
          probe.samples.append(now - probe.started)
        }
      }
      links.append(link)
    }
    defer { for link in links { link.detach() } }
    usleep(consoles > 5 ? 5_000_000 : 2_000_000)  // every console has its snapshot
    let attached = measure("\(consoles) consoles attached")

    // One console acts; the others are timed until it is in their model. Sites spread over the roster.
    var answered = 0
    var notApplied: [String] = []
    var late = 0
    for action in 0..<actions {
      let site = (action / 2 * 97) % sites
      let marking = action % 2 == 0
      let reason = marking ? "bench \(action)" : nil
      probe.withLock { probe in
        probe.site = site
        probe.reason = reason
        probe.seen = []
        probe.started = LoadBenchmark.now()
        probe.active = true
      }
      let request = OperatorRequest(site: roster[site].id, action: marking ? .mark(reason: reason!) : .clear)
      // The benchmark waits for each answer (a dashboard never does): it times one action at a time.
      let outcome = Mutex<ConsoleAnswer.Outcome?>(nil)
      let replied = DispatchSemaphore(value: 0)
      links[0].perform(request, operatorName: "bench-0") { answer in
        outcome.withLock { $0 = answer }
        replied.signal()
      }
      replied.wait()
      switch outcome.withLock({ $0 })! {
      case .applied: answered += 1
      case let other: notApplied.append("\(roster[site].id) \(marking ? "mark" : "clear"): \(other)")
      }
      let deadline = LoadBenchmark.now() + 2
      while LoadBenchmark.now() < deadline, probe.withLock({ $0.seen.count }) < consoles - 1 { usleep(1000) }
      late +=
        consoles - 1
        - probe.withLock { probe in
          probe.active = false
          return probe.seen.count
        }
      usleep(UInt32(100_000 + (action * 37 % 200) * 1000))  // actions at uneven moments of the second
    }
    for line in notApplied.prefix(5) { report("not applied: \(line)") }
    let samples = probe.withLock { $0.samples }.sorted()
    func percentile(_ p: Double) -> Double {
      samples.isEmpty ? .nan : samples[min(samples.count - 1, Int((Double(samples.count) * p).rounded(.up)) - 1)] * 1000
    }
    report(
      "action to every other console's model: \(actions) actions (\(answered) applied) x \(consoles - 1) consoles = "
        + "\(samples.count) samples; p50 \(String(format: "%.1f", percentile(0.5))) ms, p99 \(String(format: "%.1f", percentile(0.99))) ms, "
        + "max \(String(format: "%.1f", samples.last.map { $0 * 1000 } ?? .nan)) ms; not seen within 2 s: \(late)")
    let perConsoleCPU = (attached.cpu - alone.cpu) / Double(consoles)
    let perConsoleThreadCPU = (attached.serverCPU - alone.serverCPU) / Double(consoles)
    let perConsoleMiB = (attached.rssMiB - alone.rssMiB) / Double(consoles)
    report(
      "per console: CPU \(String(format: "%+.3f", perConsoleCPU))% of one core by the whole monitor, "
        + "\(String(format: "%+.3f", perConsoleThreadCPU))% by its console thread (target < 0.2%), "
        + "memory \(String(format: "%+.2f", perConsoleMiB)) MiB (target < 2 MiB), "
        + "traffic \(String(format: "%.0f", attached.receivedPerSecond / Double(consoles) / 1000)) kB/s")
    pacer.stopped.store(true, ordering: .relaxed)
    for link in links { link.detach() }
    monitor.terminate()
    monitor.waitUntilExit()
  }

  /// CPU seconds of the process's thread with this kernel name.
  static func threadCPUSeconds(pid: Int32, named name: String) -> Double? {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
    let task = tasks.first {
      (try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        == name
    }
    return task.flatMap { ProcFiles.cpuSeconds(stat: "/proc/\(pid)/task/\($0)/stat") }
  }
}
