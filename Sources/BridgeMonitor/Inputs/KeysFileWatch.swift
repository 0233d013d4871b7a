import BridgeCore
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The keys file (`keys:`) watched while the monitor runs, so a rotation (`bridgewatch keys --rotate`) or a new
/// site's key takes effect without a restart (README "Enrol the sites"). Every half second, on a thread of its own (the
/// file may be on a slow disk), the file's device, inode, size, mode and modification time are read; a version
/// that differs from the one in force and has stayed the same for one more look (an editor's half-written file is
/// not taken; `keys` renames a whole file over the old one) is loaded by the rules the start applies
/// (`ConfigLoader.loadSiteKeys`: syntax, known sites, tokens) and refused too when others may read it: at the
/// start that is a warning, but a file that replaces the keys in force must be the one `keys` writes, mode 600.
/// A good file replaces the verifying keys and the check-in links' tokens at once, under the state lock; a bad one
/// is refused with its FILE:LINE and rule in the log and the status file (`keys_file_problem`), and the keys in
/// force stay. Not a signal: SIGHUP stops the monitor.
public final class KeysFileWatch: MonitorInput {
  /// What identifies one version of the file; nil fields: the file is not there.
  struct Version: Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var mode: UInt32
    var modifiedSeconds: Int
    var modifiedNanos: Int
  }

  private struct Watching {
    /// The version whose keys are in force (nil: unknown, the file could not be read at the start).
    var inForce: Version?
    /// What the last look saw: a version is loaded once two looks agree.
    var lastSeen: Version?
    /// The last version refused, so it is not read again every second.
    var refused: Version?
    /// When the keys in force were loaded (Unix seconds), for the refusal's words.
    var loadedAt: Double
    /// A refusal not logged yet (refusals are logged at most every `logEveryNanos`), and when one last was.
    var pendingLog: String?
    var lastLogNanos: Int64?
  }

  /// At most one refusal line per this long; the status file always has the latest.
  static let logEveryNanos: Int64 = 10_000_000_000
  /// A refusal lists this many problems at most (a wrong file of 200 lines is not 200 lines of log).
  static let maximumProblemsSaid = 5

  private let path: String
  private let checkin: CheckinInput?
  private let say: Strings
  private let period: Duration
  private let watching: Mutex<Watching>
  private let looks = RepeatedLook()

  /// `checkin`: the check-in page's input, whose links follow the file too. `period`: between two looks.
  public init(path: String, checkin: CheckinInput?, language: Language? = nil, period: Duration = .milliseconds(500)) {
    self.path = path
    self.checkin = checkin
    self.period = period
    say = Strings(language ?? Language.fromEnvironment(ProcessInfo.processInfo.environment))
    // The version the config's load read a moment ago.
    let now = Date().timeIntervalSince1970
    watching = Mutex(Watching(inForce: Self.version(of: path), lastSeen: nil, refused: nil, loadedAt: now))
  }

  public func start(deliver intake: MonitorIntake) async throws {
    looks.start(intake: intake, initialDelay: period, period: period) { [self] in
      looks.threadPool.runIfActive(eventLoop: intake.loop) { [self] in look(into: intake) }
    }
  }

  public func stop() async { await looks.stop() }

  static func version(of path: String) -> Version? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return Version(
      device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size), mode: UInt32(info.st_mode),
      modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanos: Int(info.st_mtim.tv_nsec))
  }

  /// One look at the file (on the watch's thread; looks never overlap).
  private func look(into intake: MonitorIntake) {
    let current = Self.version(of: path)
    let nowNanos = intake.clock.now().monotonicNanos
    enum Step { case none, load, backInForce }
    let step = watching.withLock { watching -> Step in
      defer { watching.lastSeen = current }
      if current == watching.inForce { return watching.refused == nil ? .none : .backInForce }
      guard current == watching.lastSeen, current != watching.refused else { return .none }
      return .load
    }
    switch step {
    case .none: break
    case .backInForce:
      // A refused change was undone: the file is again the one whose keys are in force.
      watching.withLock { $0.refused = nil }
      intake.withState { $0.clearKeysFileProblem() }
    case .load: load(current, into: intake)
    }
    flushLog(intake: intake, nowNanos: nowNanos)
  }

  private func load(_ version: Version?, into intake: MonitorIntake) {
    let config = intake.config
    var problems: [ConfigProblem] = []
    var entries: [String: SiteKeyEntry] = [:]
    if let version, version.mode & 0o077 != 0 {
      problems.append(ConfigProblem(FileLine(file: path, line: 0), say(.keysReadableByOthers, String(version.mode & 0o777, radix: 8))))
    }
    do {
      entries = try ConfigLoader.loadSiteKeys(path: path, sites: config.sites, mayBeMissing: false, language: say.language)
    } catch {
      problems += error.problems
    }
    let now = intake.clock.now()
    guard problems.isEmpty else {
      let shown = problems.prefix(Self.maximumProblemsSaid).map(\.description)
      let more = problems.count > shown.count ? ["(+\(problems.count - shown.count))"] : []
      // What the file made of the loader's words (a site id from the file) reaches logs and terminals printable only.
      let problem = String(TextSanitizer.printable((shown + more).joined(separator: "; ")).prefix(2000))
      watching.withLock { watching in
        watching.refused = version
        watching.pendingLog = say(.keysReloadRefused, path, SiteKeyEntry.utcText(watching.loadedAt), problem)
      }
      intake.withState { $0.refuseKeysFile(problem) }
      return
    }
    let tokens = config.sites.map { entries[$0.id]?.checkinToken }
    intake.withState { state in
      state.replaceKeys(entries, sites: config.sites, requireAuth: config.udp.requireAuth)
      checkin?.replaceTokens(tokens)
    }
    watching.withLock { watching in
      watching.inForce = version
      watching.refused = nil
      watching.pendingLog = nil
      watching.loadedAt = now.unixSeconds
    }
    let inGrace = entries.values.count { ($0.previousUntil ?? 0) > now.unixSeconds }
    intake.logger.notice(
      "\(say(.keysReloaded, path, entries.count, config.sites.count, inGrace, tokens.count { $0 != nil }))")
  }

  /// Logs the latest refusal when the last one is old enough.
  private func flushLog(intake: MonitorIntake, nowNanos: Int64) {
    let line = watching.withLock { watching -> String? in
      guard let line = watching.pendingLog else { return nil }
      if let last = watching.lastLogNanos, nowNanos - last < Self.logEveryNanos { return nil }
      watching.pendingLog = nil
      watching.lastLogNanos = nowNanos
      return line
    }
    if let line { intake.logger.error("\(line)") }
  }
}
