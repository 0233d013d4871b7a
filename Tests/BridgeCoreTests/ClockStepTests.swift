import BridgeCore
import Testing

/// Steps of the wall clock: found against the monotonic clock, said, journaled, and taken out of the report.
@Suite struct ClockStepTests {
  let start = ClockReading(monotonicNanos: 5_000_000_000_000, unixSeconds: 1_763_800_000)

  static let oneSite = ConferenceConfig(
    sites: [SiteConfig(id: "A", name: "Điểm A", group: GroupPath.parse("Hòa Bình")!, expected: 10, heartbeatFile: "/tmp/A.hb")],
    baseDirectory: "/tmp", path: "/tmp/x.yaml")

  @Test func aStepIsTheWallClockMovingOtherwiseThanTheMonotonicOne() {
    var watch = ClockWatch()
    var now = start
    #expect(watch.observe(now, staleRefused: 0, signedAccepted: 0) == nil)
    // A late tick moves both clocks alike: no step.
    now = now.advanced(by: .seconds(7))
    #expect(watch.observe(now, staleRefused: 0, signedAccepted: 0) == nil)
    // NTP slewing (half a millisecond a second) is not a step either.
    now = now.advanced(by: .seconds(1))
    now.unixSeconds += 0.0005
    #expect(watch.observe(now, staleRefused: 0, signedAccepted: 0) == nil)
    #expect(watch.note(now: now) == nil)
    now = now.advanced(by: .seconds(1))
    now.unixSeconds += 3600
    #expect(watch.observe(now, staleRefused: 0, signedAccepted: 0) == 3600)
    #expect(watch.note(now: now)?.step?.seconds == 3600)
    #expect(watch.note(now: now)?.text.hasPrefix("the monitor's wall clock stepped +1 h 0 min 0 s") == true)
    // Backwards too; the note shows the latest step for ten minutes, then goes.
    now = now.advanced(by: .seconds(1))
    now.unixSeconds -= 30
    #expect(watch.observe(now, staleRefused: 0, signedAccepted: 0) == -30)
    #expect(watch.note(now: now.advanced(by: .seconds(599)))?.step?.seconds == -30)
    #expect(watch.note(now: now.advanced(by: .seconds(601))) == nil)
  }

  @Test func mostSignedHeartbeatsStaleMeansTheMonitorsClockIsSuspect() {
    var watch = ClockWatch()
    var now = start
    _ = watch.observe(now, staleRefused: 100, signedAccepted: 10_000)
    // A few stale ones among many accepted: a site's clock, not ours.
    now = now.advanced(by: .seconds(10))
    _ = watch.observe(now, staleRefused: 104, signedAccepted: 20_000)
    #expect(watch.note(now: now) == nil)
    // Then nearly all are refused.
    now = now.advanced(by: .seconds(10))
    _ = watch.observe(now, staleRefused: 12_000, signedAccepted: 20_300)
    // Over the last 30 s: 11,900 refused as stale, 10,300 accepted.
    let note = watch.note(now: now)
    #expect(note?.clockLooksOff == true && note?.staleSigned == 11_900 && note?.acceptedSigned == 10_300)
    #expect(note == nil || note!.text.contains("monitor clock off?"))
    now = now.advanced(by: .seconds(10))
    _ = watch.observe(now, staleRefused: 19_000, signedAccepted: 20_300)
    #expect(watch.note(now: now)?.clockLooksOff == true)
    // Once the old counts leave the 30 s window and they are accepted again, it is no longer said.
    for _ in 0..<4 {
      now = now.advanced(by: .seconds(10))
      _ = watch.observe(now, staleRefused: 19_000, signedAccepted: 30_000)
    }
    #expect(watch.note(now: now) == nil)
  }

  @Test func theClockRecordRoundTripsAndIsNeverDroppedFromTheBacklog() throws {
    let record = JournalRecord(unixSeconds: 1_763_803_600, site: nil, kind: .clock(step: 3599.5))
    #expect(JournalCodec.encode(record) == #"{"t":1763803600.000,"type":"clock","step":3599.500}"#)
    #expect(try JournalCodec.decode(Substring(JournalCodec.encode(record))).get() == record)
    var backlog = JournalBacklog(capacity: 10)
    backlog.append(contentsOf: [record])
    backlog.append(
      contentsOf: (0..<30).map {
        JournalRecord(unixSeconds: 1_763_803_601 + Double($0), site: "A", kind: .status(from: .online, to: .late, cause: "silence"))
      })
    #expect(backlog.records.first == record)
  }

  /// One site online from the start to the stop, with the clock stepped an hour forward (or 20 minutes back) in
  /// between: the report must give the real span, not an hour more (or a negative stretch).
  @Test(arguments: [3600.0, -1200.0])
  func theReportReBasesTheTimesBeforeAStep(step: Double) throws {
    let config = Self.oneSite
    let t0 = 1_763_800_000.0
    let records = [
      JournalRecord(unixSeconds: t0, site: nil, kind: .start(sites: 1)),
      JournalRecord(unixSeconds: t0 + 10, site: "A", kind: .status(from: .unknown, to: .online, cause: "heartbeat")),
      JournalRecord(unixSeconds: t0 + 610, site: "A", kind: .status(from: .online, to: .offline, cause: "silence")),
      JournalRecord(unixSeconds: t0 + 1210 + step, site: nil, kind: .clock(step: step)),
      JournalRecord(unixSeconds: t0 + 1810 + step, site: "A", kind: .status(from: .offline, to: .online, cause: "heartbeat")),
      JournalRecord(unixSeconds: t0 + 2410 + step, site: nil, kind: .stop),
    ]
    let report = try ConferenceReport.build(config: config, records: records)
    let site = report.sessions[0].sites[0]
    // Up 10..610 and 1810..2410: 1,200 s; down 610..1810: one outage of 1,200 s; the session spans 2,410 s.
    #expect(site.upSeconds == 1200)
    #expect(site.outages == 1 && site.outageSeconds == 1200)
    #expect(report.sessions[0].start == t0 + step && report.sessions[0].end == t0 + 2410 + step)
    #expect(report.clockSteps == [ClockStepNote(unixSeconds: t0 + 1210 + step, seconds: step)])
    let text = ReportRenderer.render(report, config: config, format: .md)
    #expect(text.contains("Note: the monitor's clock stepped \(ClockNote.signedDuration(step))"))
  }

  @Test func aStepDoesNotReachBackIntoAnEarlierRun() throws {
    let config = Self.oneSite
    let t0 = 1_763_800_000.0
    let records = [
      JournalRecord(unixSeconds: t0, site: nil, kind: .start(sites: 1)),
      JournalRecord(unixSeconds: t0 + 10, site: "A", kind: .status(from: .unknown, to: .online, cause: "heartbeat")),
      JournalRecord(unixSeconds: t0 + 100, site: nil, kind: .stop),
      JournalRecord(unixSeconds: t0 + 200, site: nil, kind: .start(sites: 1)),
      JournalRecord(unixSeconds: t0 + 210, site: "A", kind: .status(from: .unknown, to: .online, cause: "heartbeat")),
      JournalRecord(unixSeconds: t0 + 300 + 60, site: nil, kind: .clock(step: 60)),
      JournalRecord(unixSeconds: t0 + 400 + 60, site: nil, kind: .stop),
    ]
    let site = try ConferenceReport.build(config: config, records: records).sessions[0].sites[0]
    // First run: 90 s up, as written. Second run re-based by +60: 210+60 .. 460 = 190 s up.
    #expect(site.upSeconds == 90 + 190)
  }
}
