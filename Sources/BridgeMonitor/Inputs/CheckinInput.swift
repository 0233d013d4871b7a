import BridgeCore
import Logging
import Synchronization

/// The check-in page as an input (README "Sites without an agent"): the monitor's HTTP server hands it each
/// `GET` or `POST /c/<token>` and sends back the answer it makes. A submission is one heartbeat with source
/// `checkin` through `MonitorIntake`, the state it reports (`help` is the site's help flag, as an agent's
/// `state=help`) and a headcount kept with who typed it; the tick journals them like every other event.
///
/// The doors (`CheckinGate`): tokens compared in constant time, a plain 404 for any wrong one, rates per token and
/// overall (429), forms stamped and signed so a replayed one is refused once too old and a double submit is
/// answered with the first result without being applied again; the server caps bodies (413).
public final class CheckinInput: MonitorInput {
  /// What to send back: the status code, the page, and for 429 how long to wait.
  public struct Answer: Sendable {
    public var status: Int
    public var html: String
    public var retryAfterSeconds: Int?
  }

  private let config: ConferenceConfig
  private let clock: any MonitorClock
  private let gate: Mutex<CheckinGate>
  private let intake = Mutex<MonitorIntake?>(nil)
  private let logger: Logger
  private let lastRefusalLog = Mutex<Int64>(.min)

  /// `stampKey`: the forms' signing key, random unless a test gives one.
  public init(
    config: ConferenceConfig, clock: any MonitorClock = SystemClock(), logger: Logger, limits: CheckinGate.Limits = .init(),
    stampKey: [UInt8]? = nil
  ) {
    self.config = config
    self.clock = clock
    self.logger = logger
    var random = SystemRandomNumberGenerator()
    let key = stampKey ?? (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
    gate = Mutex(
      CheckinGate(tokens: config.sites.map { config.siteKeys[$0.id]?.checkinToken }, stampKey: key, limits: limits))
  }

  /// Sites that have a check-in link (at the start; `KeysFileWatch` replaces the tokens of a reloaded keys file).
  public var sitesWithToken: Int { config.sites.count { config.siteKeys[$0.id]?.checkinToken != nil } }

  /// The links of a keys file loaded again: each site's token, in roster order (nil: none).
  public func replaceTokens(_ tokens: [String?]) { gate.withLock { $0.replaceTokens(tokens) } }

  public func start(deliver intake: MonitorIntake) async throws { self.intake.withLock { $0 = intake } }

  public func stop() async { intake.withLock { $0 = nil } }

  public var counters: CheckinCounters { gate.withLock { $0.counters } }

  /// `GET /c/<token>`: the site's form, freshly stamped.
  public func page(token: Substring, language: Language) -> Answer {
    let now = clock.now()
    let verdict = gate.withLock { $0.admit(token: token.utf8, nowNanos: now.monotonicNanos) }
    guard case .site(let site) = verdict else { return refusal(verdict, language: language) }
    let stamp = gate.withLock { gate in
      gate.notePageServed()
      return gate.stamp(site: site, unixSeconds: now.unixSeconds, nonce: UInt64.random(in: 0...UInt64.max))
    }
    return Answer(status: 200, html: CheckinPage.form(site: config.sites[site], stamp: stamp, language: language))
  }

  /// `POST /c/<token>` with its form body (already within `CheckinForm.maximumBodyBytes`).
  public func submit(token: Substring, language: Language, body: [UInt8]) -> Answer {
    let now = clock.now()
    let verdict = gate.withLock { $0.admit(token: token.utf8, nowNanos: now.monotonicNanos) }
    guard case .site(let site) = verdict else { return refusal(verdict, language: language) }
    let strings = Strings(language)
    let facts = config.sites[site]
    let form: CheckinForm
    switch CheckinForm.parse(body) {
    case .success(let parsed): form = parsed
    case .failure(.malformed):
      gate.withLock { _ = $0.refuse(.malformed) }
      return Answer(status: 400, html: CheckinPage.plain(.checkinBadRequest, language: language))
    case .failure(let problem):
      gate.withLock { _ = $0.refuse(.invalidField) }
      let fields = CheckinForm.fields(body) ?? [:]
      let message: String =
        switch problem {
        case .needWho: strings(.checkinNeedWho)
        case .needCount: strings(.checkinNeedCount)
        case .badCount(let countProblem): strings.countProblem(countProblem)
        case .malformed: strings(.checkinBadRequest)
        }
      return formAgain(
        site: site, now: now, language: language, status: 422, notice: .init(.problem, [message, strings(.checkinNotRecorded)]),
        who: CheckinForm.cleanWho(fields["who"] ?? ""), count: String(TextSanitizer.printable(fields["count"] ?? "").prefix(16)))
    }
    switch gate.withLock({ $0.check(form, site: site, unixSeconds: now.unixSeconds) }) {
    case .stale:
      return formAgain(
        site: site, now: now, language: language, status: 409,
        notice: .init(.problem, [strings(.checkinStale, Int(gate.withLock { $0.limits.formValidSeconds } / 60))]), who: form.who,
        count: form.count.map(String.init) ?? "")
    case .alreadyUsed(let earlier):
      let notice = CheckinPage.Notice(
        .done, [strings(.checkinDuplicate, time(earlier.unixSeconds))] + recordedLines(earlier.form, at: earlier.unixSeconds, strings))
      return Answer(status: 200, html: CheckinPage.result(site: facts, language: language, notice: notice))
    case .fresh:
      break
    }
    guard let intake = intake.withLock({ $0 }) else {
      return Answer(status: 503, html: CheckinPage.plain(.checkinNotRecorded, language: language))
    }
    intake.checkin(count: form.count, state: form.reportedState, typedBy: form.who, site: site, now: now)
    var lines = recordedLines(form, at: now.unixSeconds, strings)
    if form.action == .help { lines.append(strings(.checkinHelpStillOn)) }
    return Answer(status: 200, html: CheckinPage.result(site: facts, language: language, notice: .init(.done, lines)))
  }

  /// A body over the cap, refused by the server before it was read whole.
  public func refuseTooLarge(language: Language) -> Answer {
    gate.withLock { _ = $0.refuse(.tooLarge) }
    logRefusal("a check-in body over \(CheckinForm.maximumBodyBytes) bytes")
    return Answer(status: 413, html: CheckinPage.plain(.checkinTooLarge, language: language))
  }

  private func refusal(_ verdict: CheckinGate.Verdict, language: Language) -> Answer {
    guard case .refused(let reason) = verdict else { return Answer(status: 500, html: "") }
    logRefusal("check-in refused: \(reason.rawValue)")
    switch reason {
    case .rateLimited:
      return Answer(status: 429, html: CheckinPage.plain(.checkinTooMany, language: language), retryAfterSeconds: 60)
    default:
      return Answer(status: 404, html: CheckinPage.plain(.checkinNotFound, language: language))
    }
  }

  private func formAgain(
    site: Int, now: ClockReading, language: Language, status: Int, notice: CheckinPage.Notice, who: String, count: String
  ) -> Answer {
    let stamp = gate.withLock { $0.stamp(site: site, unixSeconds: now.unixSeconds, nonce: UInt64.random(in: 0...UInt64.max)) }
    return Answer(
      status: status,
      html: CheckinPage.form(site: config.sites[site], stamp: stamp, language: language, notice: notice, who: who, count: count))
  }

  private func recordedLines(_ form: CheckinForm, at unixSeconds: Double, _ strings: Strings) -> [String] {
    var parts: [String] = []
    if form.action == .connected { parts.append(strings(.checkinRecordedConnected)) }
    if let count = form.count { parts.append(strings(.checkinRecordedCount, strings.number(count))) }
    if form.action == .help { parts.append(strings(.checkinRecordedHelp)) }
    return [strings(.checkinRecorded, time(unixSeconds)), parts.joined(separator: "; "), strings(.checkinRecordedBy, form.who)]
  }

  /// "2026-12-05 09:14:05 (UTC+07:00)": the conference's local time, said with its offset.
  private func time(_ unixSeconds: Double) -> String {
    let offset = config.schedule.utcOffsetSeconds
    let sign = offset < 0 ? "-" : "+"
    let hours = abs(offset) / 3600
    let minutes = abs(offset) % 3600 / 60
    let zone = "UTC\(sign)\(hours < 10 ? "0" : "")\(hours):\(minutes < 10 ? "0" : "")\(minutes)"
    return LocalTimeText.format(unixSeconds, utcOffsetSeconds: offset, alwaysSeconds: true) + " (\(zone))"
  }

  /// Refusals are logged at most once a minute (a flood must not flood the log); the counters have them all.
  private func logRefusal(_ what: String) {
    let now = clock.now().monotonicNanos
    let due = lastRefusalLog.withLock { last in
      guard last == .min || now - last >= 60_000_000_000 else { return false }
      last = now
      return true
    }
    if due { logger.notice("\(what) (further refusals counted in bridgewatch_checkin_refused_total, logged once a minute)") }
  }
}
