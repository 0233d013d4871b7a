import BridgeCore
import Foundation

extension MicroBenchmarks {
  /// What a console's first screen costs on each side: the monitor encoding the welcome (the roster's facts) and a
  /// snapshot (every site's record), the console decoding both; issue 30 wants it within 300 ms at 31,097 sites.
  func consoleAttach(start: ClockReading) -> [Result] {
    let config = config(signed: true)
    let snapshot = Self.mixedSnapshot(config, start: start)
    let welcome = ConsoleMessage.welcome(
      ConsoleWelcome(pid: 1, unixUser: "bench", facts: ConsoleFacts(config: config, listenAddress: "0.0.0.0:9999")))
    let state = ConsoleMessage.snapshot(
      ConsoleSnapshot(
        revision: 1, taken: ConsoleClock(snapshot.takenAt),
        sites: snapshot.records.enumerated().map { ConsoleSite($0.element, index: $0.offset) },
        status: ConsoleMonitorStatus(counters: IngestCounters(), journalProblem: nil, clockNote: nil, consoles: 1)))
    var results: [Result] = []
    for (what, message) in [("welcome", welcome), ("snapshot", state)] {
      for rows in [false, true] {
        var line: [UInt8] = []
        let encode = median {
          let begin = Self.now()
          line = ConsoleProtocol.encode(message, rows: rows)
          return (1, Self.now() - begin)
        }
        let decode = median {
          let begin = Self.now()
          _ = try? ConsoleProtocol.decode(line.dropLast())
          return (1, Self.now() - begin)
        }
        let form = rows ? "rows" : "objects"
        results.append(
          Result(
            name: "console \(what), \(form): encode \(NumberText.grouped(sites)) sites", nanosecondsPerOperation: encode,
            note: "\(line.count / 1024) KiB"))
        results.append(Result(name: "console \(what), \(form): decode", nanosecondsPerOperation: decode))
      }
    }
    // What the console does with them before its first frame: its mirror of the monitor's state.
    if case .welcome(let welcomed) = welcome, case .snapshot(let first) = state {
      let mirror = median {
        let begin = Self.now()
        var mirror = try? ConsoleMirror(facts: welcomed.facts)
        mirror?.apply(first)
        return (1, Self.now() - begin)
      }
      results.append(Result(name: "console mirror from the welcome and snapshot", nanosecondsPerOperation: mirror))
    }
    return results
  }
}
