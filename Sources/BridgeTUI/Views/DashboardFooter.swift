import BridgeCore

/// The lines under the table: the event log pane, the status line (counters, journal, clock) and the footer.
extension DashboardView {
  static func renderLog(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, top: Int, height: Int
  ) {
    let strings = state.strings
    screen.fill(y: top, role: .columnTitles)
    let titleWidth = screen.put(strings(.eventsTitle), x: 1, y: top, role: .columnTitles)
    if let problem = snapshot.journalProblem {
      // Nothing is being saved: that must be impossible to miss.
      screen.fill(y: top, role: .error)
      screen.put(strings(.journalNotWritten, problem), x: 1, y: top, role: .error, maxWidth: context.width - 2)
    } else if let note = snapshot.clockNote {
      // A monitor whose clock is off refuses every signed site: the cause must be on screen, not only in the log.
      screen.fill(y: top, role: .error)
      var parts: [String] = []
      if note.clockLooksOff {
        parts.append(strings(.clockOff, strings.number(note.staleSigned), strings.number(note.staleSigned + note.acceptedSigned)))
      }
      if let step = note.step {
        parts.append(
          strings(.clockStepped, ClockNote.signedDuration(step.seconds), clock(step.unixSeconds, offset: context.utcOffsetSeconds)))
      }
      screen.put(parts.joined(separator: " · "), x: 1, y: top, role: .error, maxWidth: context.width - 2)
    } else {
      screen.putRight(
        countersText(snapshot.counters, strings: strings), right: context.width - 1, y: top, role: .columnTitles,
        maxWidth: context.width - titleWidth - 4)
    }
    for (offset, line) in state.log.reversed().prefix(height - 1).enumerated() {
      let y = top + 1 + offset
      screen.put(clock(line.unixSeconds, offset: context.utcOffsetSeconds), x: 1, y: y, role: .logTime)
      screen.put(line.text, x: 11, y: y, role: line.isAlert ? .logAlert : .log, maxWidth: context.width - 12)
    }
  }

  /// Ingest counters in one line: datagrams accepted and rejected (top reasons), heartbeat files.
  static func countersText(_ counters: IngestCounters, strings: Strings) -> String {
    var text = strings(.countersUDP, strings.number(Int(counters.datagramsAccepted)))
    let rejected = counters.datagramsRejected
    if rejected > 0 {
      let reasons = RejectionReason.allCases.filter { counters[$0] > 0 }.sorted { counters[$0] > counters[$1] }.prefix(2)
      let detail = reasons.map { "\(strings.number(Int(counters[$0]))) \(strings.rejection($0))" }
      text += ", " + strings(.countersRejected, strings.number(Int(rejected)), detail.joined(separator: ", "))
    }
    text += " · " + strings(.countersFiles, strings.number(Int(counters.filesRead)))
    if counters.fileErrors + counters.badFiles > 0 {
      text += ", " + strings(.countersBad, strings.number(Int(counters.fileErrors + counters.badFiles)))
    }
    return text
  }

  static func renderStatusLine(
    _ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, y: Int
  ) {
    let strings = state.strings
    if let message = state.message {
      screen.fill(y: y, role: message.isError ? .error : .prompt)
      screen.put(message.text, x: 1, y: y, role: message.isError ? .error : .prompt, maxWidth: context.width - 2)
      return
    }
    switch state.mode {
    case .prompt:
      screen.put(strings(.promptHint), x: 1, y: y, role: .dim, maxWidth: context.width - 2)
      return
    case .filter:
      screen.put(strings(.filterHint), x: 1, y: y, role: .dim, maxWidth: context.width - 2)
      return
    default:
      break
    }
    switch state.selection {
    case .site(let selected):
      let site = snapshot.sites[selected]
      let record = snapshot.records[selected]
      let count = headcountText(record, strings: strings).text
      var text = "\(site.id)  \(site.name)  ·  \(site.groupLabel)  ·  \(strings.status(record.status))"
      if let since = record.statusSince {
        text += " " + strings(.statusSince, clock(since.unixSeconds, offset: context.utcOffsetSeconds))
      }
      text += "  ·  \(count)/\(strings.number(site.expected))"
      if let source = record.headcountSource { text += "  ·  " + strings(.countSource, strings.source(source)) }
      screen.put(text, x: 1, y: y, role: .dim, maxWidth: context.width - 2)
    case .group(let node):
      let rollup = snapshot.rollups[node]
      let lead =
        snapshot.groups.nodes[node].path.joined(separator: GroupPath.separator) + "  ·  "
        + strings(.attendance, strings.number(rollup.reportedHeadcount), strings.number(rollup.expectedHeadcount)) + "  ·  "
      let text = lead + groupSummary(rollup, strings: strings, glyphs: context.glyphs, room: context.width - 2 - DisplayWidth.of(lead))
      screen.put(text, x: 1, y: y, role: .dim, maxWidth: context.width - 2)
    case nil:
      break
    }
  }

  static func renderFooter(_ screen: inout ScreenBuffer, _ snapshot: MonitorSnapshot, state: DashboardState, context: ViewContext, y: Int) {
    let strings = state.strings
    screen.fill(y: y, role: .footer)
    switch state.mode {
    case .prompt(let name, let site, let input):
      screen.fill(y: y, role: .prompt)
      let question = OperatorCommands[name].prompt?.question(site, snapshot, strings) ?? ""
      screen.put(question + "\(input)▏", x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .filter(let input):
      screen.fill(y: y, role: .prompt)
      screen.put(strings(.filterPrompt) + "\(input)▏", x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .confirmQuit:
      screen.fill(y: y, role: .prompt)
      screen.put(strings(.confirmQuit), x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .confirmHeadcount(let site, let count):
      screen.fill(y: y, role: .prompt)
      let text = strings(
        .confirmHeadcount, snapshot.sites[site].id, strings.number(count), strings.number(snapshot.sites[site].expected))
      screen.put(text, x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .confirmRelease(let site):
      screen.fill(y: y, role: .prompt)
      let claim = snapshot.records[site].claim
      let text = strings(
        .confirmRelease, claim?.operatorName ?? "–", snapshot.sites[site].id,
        claim.map { clock($0.unixSeconds, offset: context.utcOffsetSeconds, withSeconds: false) } ?? "–")
      screen.put(text, x: 1, y: y, role: .prompt, maxWidth: context.width - 2)
    case .normal, .help:
      // Help and quit always show; the others in order of use as far as they fit.
      // On the overview a group is selected, not a site: Enter goes into it, r ranks, and no site action applies.
      let all = KeyMap.footerOrder.compactMap { action in
        KeyMap.bindings.first { $0.action == action }.flatMap { binding in
          binding.footerLabel.map {
            (binding.footerKey, strings(action == .open && state.showsOverview ? .footerEnterGroup : $0), action)
          }
        }
      }.filter {
        !((state.readOnly || state.showsOverview) && $0.2.changesASite) && ($0.2 != .rankGroups || state.showsOverview)
      }
      let reserved = all.filter { $0.2 == .help || $0.2 == .quit }
      func width(_ hint: (String, String, Action)) -> Int { DisplayWidth.of(hint.0) + 1 + DisplayWidth.of(hint.1) + 2 }
      let who = [context.operatorName, state.readOnly ? strings(.readOnlyTag) : nil, context.themeName].compactMap { $0 }
        .joined(separator: " · ")
      var room = context.width - 2 - reserved.reduce(0) { $0 + width($1) }
      var chosen: [(String, String, Action)] = []
      for hint in all where hint.2 != .help && hint.2 != .quit {
        guard width(hint) <= room else { break }
        chosen.append(hint)
        room -= width(hint)
      }
      var x = 1
      for (key, label, _) in chosen + reserved {
        x += screen.put(key, x: x, y: y, role: .footerKey)
        x += screen.put(" \(label)  ", x: x, y: y, role: .footer)
      }
      if x + DisplayWidth.of(who) < context.width - 1 {
        screen.putRight(who, right: context.width - 1, y: y, role: .footer, maxWidth: context.width - x - 1)
      }
    }
  }
}
