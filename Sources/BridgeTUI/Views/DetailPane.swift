import BridgeCore

extension DashboardView {
  /// The widest the graphs' labels may be; the graphs start two cells after the wider one.
  static let detailLabelWidth = 25

  /// Everything known about one site: config, status, last heartbeat, the mark, the last hour as a sparkline
  /// and a heartbeat strip, and the site's own events.
  static func renderDetail(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, site index: Int, state: DashboardState, context: ViewContext, top: Int,
    height: Int
  ) {
    let strings = state.strings
    let site = snapshot.sites[index]
    let record = snapshot.records[index]
    let width = context.width
    let now = snapshot.takenAt
    func time(_ unixSeconds: Double) -> String { clock(unixSeconds, offset: context.utcOffsetSeconds) }

    screen.fill(y: top, role: .columnTitles)
    let closeWidth = screen.putRight(strings(.detailClose), right: width - 1, y: top, role: .columnTitles, maxWidth: 20)
    screen.put(strings(.detailTitle, site.id) + "  ·  " + site.name, x: 1, y: top, role: .columnTitles, maxWidth: width - closeWidth - 4)

    var lines: [[(String, Role)]] = []
    let signed = context.signedSites.contains(site.id) ? strings(.detailSigned) : strings(.detailUnsigned)
    lines.append([
      (strings(.detailGroup) + ": ", .dim),
      (
        "\(site.groupLabel)  ·  \(strings(.detailExpected, strings.number(site.expected)))  ·  \(strings(.detailSourceUDP)) (\(signed)) "
          + strings(.detailSourceFile, site.heartbeatFile), .normal
      ),
    ])
    if let contact = site.contact { lines.append([(strings(.detailContact) + ": ", .dim), (contact, .normal)]) }
    var status = "\(context.glyphs.glyph(record.status)) \(strings.status(record.status))"
    if let since = record.statusSince {
      status += " " + strings(.detailSince, time(since.unixSeconds), ageText(Double(now.monotonicNanos - since.monotonicNanos) / 1e9))
    }
    var statusLine: [(String, Role)] = [(strings(.detailStatus) + ": ", .dim), (status, Role.status(record.status))]
    for (position, part) in flagParts(record, recoverAfter: context.recoverAfter, strings: strings, probed: site.probe != nil).enumerated()
    {
      statusLine.append((position == 0 ? "  ·  " : ", ", .dim))
      statusLine.append((part.text, part.isProblem ? .flag : .normal))
    }
    lines.append(statusLine)
    if let heard = record.lastHeard {
      var parts = ["\(time(heard.unixSeconds)) \(record.lastSource.map(strings.source) ?? "")"]
      if let sequence = record.lastSequence { parts.append(strings(.detailSequence, sequence)) }
      // A probe's answer carries no state of the site's own: only an agent or a heartbeat file says one.
      if record.lastSource != .probe {
        let reported =
          record.flags.contains(.helpRequested)
          ? strings(.reportedHelp) : record.flags.contains(.degraded) ? strings(.flagDegraded) : strings(.reportedOK)
        parts.append(strings(.detailSiteSays, reported))
      }
      if let rtt = record.rttMilliseconds { parts.append(strings(.detailRTT, rtt)) }
      if let loss = record.lossPercent { parts.append(strings(.detailLoss, strings.percent(loss))) }
      lines.append([(strings(.detailLastHeartbeat) + ": ", .dim), (parts.joined(separator: "  ·  "), .normal)])
    } else if let awaited = record.awaitedSince {
      let silent = ageText(Double(now.monotonicNanos - awaited.monotonicNanos) / 1e9)
      lines.append([(strings(.detailLastHeartbeat) + ": ", .dim), (strings(.detailNoneSince, time(awaited.unixSeconds), silent), .dim)])
    } else {
      lines.append([(strings(.detailLastHeartbeat) + ": ", .dim), (strings(.detailNeverHeard), .dim)])
    }
    if let rejection = record.rejection {
      let parts = [
        strings.rejection(rejection.reason), strings(.detailRefusedCount, strings.number(Int(rejection.count))),
        strings(.detailRefusedLast, time(rejection.lastAt.unixSeconds), rejection.source),
      ]
      lines.append([
        (strings(.detailRefused) + ": ", .dim), (parts.joined(separator: "  ·  "), record.isRejectedNow ? .statusOffline : .normal),
      ])
    }
    if let probe = site.probe {
      var parts = [probe]
      if let outcome = record.probeOutcome, let at = record.probeAt {
        parts.append(strings.probeOutcome(outcome, short: false))
        parts.append(time(at.unixSeconds))
      } else {
        parts.append(strings(.detailProbeNotYet))
      }
      lines.append([(strings(.detailProbe) + ": ", .dim), (parts.joined(separator: "  ·  "), .normal)])
    }
    lines += bridgeDetailLines(snapshot, site: index, strings: strings, time: time)
    if let mark = record.mark {
      lines.append([(strings(.detailMark, mark.operatorName, time(mark.unixSeconds), mark.reason), .statusMarked)])
    } else if let by = record.acknowledgedBy {
      lines.append([(strings(.detailAcknowledged, by), .dim)])
    }
    // The count, where it came from (who, for one set by hand) and when; first, why the row shows it in
    // parentheses and its groups leave it out, when they do.
    if let count = record.headcount {
      var provenance = [record.headcountSource.map(strings.source) ?? "–"]
      if record.headcountSource == .manual, let setBy = record.headcountSetBy {
        provenance = [strings(.countByHand, setBy.operatorName), time(setBy.unixSeconds)]
      } else if record.headcountSource == .checkin, let setBy = record.headcountSetBy {
        provenance = [strings(.sourceCheckin) + ": " + TextSanitizer.printable(setBy.operatorName), time(setBy.unixSeconds)]
      } else if let at = record.headcountAt {
        provenance.append(time(at.unixSeconds))
      }
      let counted = RollupContribution(record).uncountedHeadcount == nil
      let figure =
        counted
        ? strings.number(count) : strings(.detailNotCounted, strings.number(count), strings.status(record.status))
      lines.append([
        (strings(.detailHeadcount) + ": ", .dim), (([figure] + provenance).joined(separator: "  ·  "), .normal),
      ])
    }

    // The agent's count file it refused: the reason code it sent, in words with the rule (never the site's text).
    if let problem = record.countProblem {
      lines.append([(strings(.detailCountFile) + ": ", .dim), (strings.countFileProblem(problem), .flag)])
    }

    var y = top + 1
    let end = top + height
    for line in lines where y < end {
      var x = 1
      for (text, role) in line where x < width - 1 { x += screen.put(text, x: x, y: y, role: role, maxWidth: width - 1 - x) }
      y += 1
    }

    // The last hour, only once the engine has sent this site's history. The graphs start next to their labels
    // and begin with the first minute (or interval) that has data: an hour not yet recorded is not drawn as blank
    // cells that would push what there is to the far right.
    let history = snapshot.detail?.site == index ? snapshot.detail : nil
    let labels = [strings(.detailHeadcountHistory), strings(.detailBeatHistory)]
    let graphLeft = 1 + min(detailLabelWidth, labels.map(DisplayWidth.of).max() ?? 0) + 2
    let graphWidth = width - graphLeft - 2
    if y < end {
      screen.put(labels[0], x: 1, y: y, role: .dim, maxWidth: graphLeft - 2)
      if let history {
        let counts = Array(history.minuteCounts.drop { $0 == nil })
        let spark = sparkline(counts, expected: site.expected, glyphs: context.glyphs)
        let used = screen.put(spark, x: graphLeft, y: y, role: .normal, maxWidth: graphWidth)
        let known = history.minuteCounts.compactMap { $0 }
        if let low = known.min(), let high = known.max() {
          screen.put(
            "  \(strings.number(low))–\(strings.number(high))", x: graphLeft + used, y: y, role: .dim, maxWidth: graphWidth - used)
        }
      }
      y += 1
    }
    if y < end {
      screen.put(labels[1], x: 1, y: y, role: .dim, maxWidth: graphLeft - 2)
      if let history {
        let beats = Array(history.beats.drop { $0 == .noData })
        let (cells, perCell) = strip(beats, width: graphWidth, glyphs: context.glyphs)
        var x = graphLeft
        for (glyph, role) in cells { x += screen.put(glyph, x: x, y: y, role: role) }
        if y + 1 < end {
          y += 1
          let span = ageText(Double(perCell * history.slotSeconds))
          screen.put(strings(.detailBeatLegend, span).legendGlyphs(context.glyphs), x: graphLeft, y: y, role: .dim, maxWidth: graphWidth)
        }
      }
      y += 1
    }
    if y < end {
      screen.put(strings(.detailEvents), x: 1, y: y, role: .dim, maxWidth: width - 2)
      y += 1
      let events = history?.recentEvents.reversed() ?? []
      if events.isEmpty && y < end {
        screen.put(strings(.detailNoEvents), x: 3, y: y, role: .dim, maxWidth: width - 4)
      }
      for event in events where y < end {
        screen.put(time(event.time.unixSeconds), x: 3, y: y, role: .logTime)
        screen.put(EventText.describe(event, sites: snapshot.sites, strings: strings), x: 13, y: y, role: .log, maxWidth: width - 14)
        y += 1
      }
    }
  }

  /// The headcount of each minute, scaled to the expected headcount (or the highest count, if that is more).
  static func sparkline(_ counts: [Int?], expected: Int, glyphs: Glyphs) -> String {
    let top = max(expected, counts.compactMap { $0 }.max() ?? 0, 1)
    return counts.map { count in
      guard let count else { return " " }
      let level = count == 0 ? 0 : min(glyphs.levels.count - 1, max(0, (count * glyphs.levels.count - 1) / top))
      return glyphs.levels[level]
    }.joined()
  }

  /// One cell per interval when the width allows; otherwise each cell covers several, ending at the current one.
  static func strip(_ beats: [BeatSlot], width: Int, glyphs: Glyphs) -> (cells: [(String, Role)], perCell: Int) {
    guard width > 0, !beats.isEmpty else { return ([], 1) }
    let perCell = (beats.count + width - 1) / width
    var cells: [(String, Role)] = []
    var end = beats.count
    while end > 0 {
      let start = max(0, end - perCell)
      var heard = 0
      var missed = 0
      for slot in beats[start..<end] {
        switch slot {
        case .heard: heard += 1
        case .missed: missed += 1
        case .noData: break
        }
      }
      if heard == 0 && missed == 0 {
        cells.append((" ", .dim))
      } else if missed == 0 {
        cells.append((glyphs.heard, .statusOnline))
      } else if heard == 0 {
        cells.append((glyphs.missed, .statusOffline))
      } else {
        cells.append((glyphs.partlyHeard, .statusLate))
      }
      end = start
    }
    return (cells.reversed(), perCell)
  }
}

extension String {
  /// The strip legend with the glyphs of an ASCII terminal.
  fileprivate func legendGlyphs(_ glyphs: Glyphs) -> String {
    guard glyphs.isASCII else { return self }
    return
      self.replacingOccurrences(of: Glyphs.unicode.heard, with: glyphs.heard)
      .replacingOccurrences(of: Glyphs.unicode.partlyHeard, with: glyphs.partlyHeard)
      .replacingOccurrences(of: Glyphs.unicode.missed, with: glyphs.missed)
  }
}
