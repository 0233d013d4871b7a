// Over 400 lines: the keys and the English and Vietnamese tables of every dashboard and command text, in one
// file so that a key is added to both tables in one place (a test checks that both hold every key).
/// The language of the operator's screen.
public enum Language: String, Sendable, CaseIterable {
  case en, vi

  /// From the locale variables, most specific first (as setlocale reads them): `vi_VN.UTF-8` selects Vietnamese.
  public static func fromEnvironment(_ environment: [String: String]) -> Language {
    for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
      guard let value = environment[name], !value.isEmpty else { continue }
      return value.lowercased().hasPrefix("vi") ? .vi : .en
    }
    return .en
  }
}

/// Every label, prompt, help text and event message on the dashboard. Both tables hold every key (a test checks);
/// `{0}`, `{1}`... are filled in order.
public enum TextKey: String, CaseIterable, Sendable {
  // Header
  case attendance, headerOnline, headerOffline, headerLate, headerAlerts, headerHelp, headerMarked, headerNotConnected, filtered, sortedBy
  case beforeSession, afterLastSession, betweenSessions
  // Statuses
  case statusUnknown, statusOnline, statusLate, statusOffline, statusMarked
  // Table
  case columnStatus, columnID, columnName, columnCount, columnHeard, columnLoss, columnRTT, columnFlags, columnGroup
  case groupOnline, groupOffline, rowsShown, never, noSiteMatches
  case groupLate, groupMarked, groupNotConnected, detailHeadcount, detailNotCounted, countByHand
  case flagHelp, flagRecovering, flagFlapping, flagDegraded, flagBadFile, flagFileError, flagMarkedBy, flagHeardAgain, flagAcknowledged
  case flagByProbe, flagByAgent, detailProbe, detailProbeNotYet, flagRefused, detailRefused, detailRefusedCount, detailRefusedLast
  case refusedBadKey, refusedReplayed, refusedClock, refusedUnsigned, refusedOther
  // Sort orders
  case sortGroup, sortSeverity, sortName, sortShortfall, sortLastHeard
  // Wall
  case wallTitle, wallLegend
  // Detail pane
  case detailTitle, detailGroup, detailExpected, detailSourceUDP, detailSourceFile, detailSigned, detailUnsigned, detailStatus
  case detailSince, detailLastHeartbeat, detailNeverHeard, detailNoneSince, detailLoss, detailRTT, detailMark, detailAcknowledged,
    detailHeadcountHistory
  case detailBeatHistory, detailBeatLegend, detailEvents, detailNoEvents, detailClose
  // Log and counters
  case eventsTitle, journalNotWritten, clockOff, clockStepped, countersUDP, countersRejected, countersFiles, countersBad
  // Status line, prompts, footer, overlays
  case statusSince, countSource, promptHint, markPrompt, headcountPrompt, filterPrompt, filterHint, confirmQuit
  case helpTitle, helpClose, tooSmall, enlarge, confirmRelease, confirmHeadcount
  // Messages
  case cancelled, giveReason, badHeadcount, notMarked, cannotAcknowledge, themeChanged, themeNoColours
  case flagClaimed, readOnlyConsole, readOnlyTag, monitorGone, noAnswer
  case notDone, filterCleared, problemsOnly, allSites, sortChanged
  // Mark presets
  case presetNoSignal, presetPowerCut, presetLineDown, presetCancelled
  // Key help
  case keyMove, keyPaging, keyOpen, keyCollapseAll
  case keyExpandAll, keyFilter, keyProblems, keyEscape, keySort, keyWall, keyMark, keyClear, keyAcknowledge, keyCount, keyTheme
  case keyHelp, keyQuit, keyClaim
  // Primary and standby
  case roleStandby, rolePrimarySilent, rolePrimarySilentShort, roleReplaced, primarySilentLine, replacedLine, promotedLine
  case standbyActionRefused, silentActionRefused, replacedActionRefused
  // Footer labels
  case footerFilter, footerProblems, footerSort, footerWall, footerDetail, footerMark, footerClear, footerAck, footerCount
  case footerTheme, footerHelp, footerQuit, footerClaim
  // Events
  case eventStatus, causeHeartbeat, causeSilence, causeMarked, causeMarkCleared, eventAcknowledged, eventHeadcount, eventFlapping
  case eventClaimed, eventClaimReleased, eventClaimEnded
  case eventNotFlapping, eventHelp, eventHelpWithdrawn, eventHeardWhileMarked
  // Words the dashboard used to print in English: probe outcomes, evidence, rejections, the demo's banner, contact
  case probeSIP, probeTCPConnected, probeTCPConnectedShort, probeTCPRefused, probeTCPRefusedShort, probeICMPReply
  case probeICMPReplyShort, probeNoAnswer, probeUnreachable
  case sourceUDP, sourceFile, sourceManual, sourceProbe, detailSequence, detailSiteSays, reportedOK, reportedHelp
  case refusedUnknownSite, refusedTooLarge, refusedMalformed, demoBanner, detailContact
  // `check`
  case checkConfigOK, checkSites, checkTiming, heartbeatsOne, heartbeatsMany, checkUDP, authRequired, authOptional
  case checkHeartbeatFiles, checkJournal, checkConsoles, checkReadOnlyFor, checkProbes, checkMetrics, checkMetricsPerSite
  case checkMetricsOff, checkStatusFile, checkGroups, checkGroupLine, checkWarning
  // `status`
  case statusMonitor, statusSites, statusAttendance, statusAlerts, statusClaimed, statusConsoles, statusConsoleReadOnly
  case statusConsoleGroup, statusConsoleSince, statusReplaced, statusPromoted, statusStandbyOf, statusPrimarySilent
  case statusPrimaryLastHeard, statusLink, statusProblems, statusProblemsMore, statusContact, statusNoMonitor
  // `agent` and `send`
  case agentSending, agentSigned, agentUnsigned, agentAnd, agentOr, agentConnected, agentNoAck, agentAcksBack
  case agentNoMonitorAcks, agentHeardAgain, agentNoAnswerYet, agentRetrying, agentCannotSend, agentKeepingFile
  case agentWritingAgain, agentCannotWrite, agentWrittenAgo, agentHeadcount, agentSequence, agentWaitingFirstAck
  case countRule, countNotText, countEmpty, countSeveralLines, countNotANumber, countTooLarge
  case agentLineConnected, agentLineNoAck, agentStopped, agentCountFileProblem, agentCountFileNotSmall, agentHeadcountChanged
  case agentNoHeadcount, agentStillReporting, agentSendingWithoutCount
  case sendSent, sendAck, sendFrom, sendNoAck, sendPortClosed
  case keyFileUnreadable, keyFileEmpty, keyFileOneLine, keyFileReadableByOthers
  case fileMissing, fileIsDirectory, filePermissionDenied, fileReadFailed
  // MARK: The overview of a national roster (issue 30); the words are in OverviewStrings.swift
  case overviewGroups, overviewAttendance, overviewCell, overviewLegend, overviewWorstFirst, overviewScopeWall, overviewScopeNote
  case overviewRankedWorstFirst, overviewRankedRoster, keyRank, footerRank, overviewCellSite, footerEnterGroup
  case overviewRankNotShown
  // MARK: Site keys, agent bundles and the agent's settings file (issue 33; tables in EnrolmentText.swift)
  case flagCountFileUnreadable, detailCountFile, detailCountFileProblem
  case countFileEmpty, countFileNotANumber, countFileTooLarge, countFileSeveralLines, countFileNotText, countFileCannotRead
  case countFileOther, eventCountFileProblem, eventCountFileReadable
  case settingsUnreadable, settingsNotYAML, settingsNotMapping, settingsUnknownKey, settingsDidYouMean, settingsBadValue
  case settingsConflict, settingSiteForm, settingMonitorForm, settingPathForm, settingIntervalForm
  case settingCountForm, settingLanguageForm
  case keysWritten, keysRotated, keysBundles, keysSheet, keysSecretsNotShown, keysUnknownSite, keysNoKeysFile
  case keysNeedMonitor, keysBadMonitor, keysBadCheckinBase, keysBadGrace, keysCannotWrite, keysConfigProblems
  // MARK: The check-in page for sites without an agent (issue 33; tables in CheckinText.swift)
  case sourceCheckin, eventCheckinHeadcount, checkinTitle, checkinIntro, checkinGroup, checkinSiteID, checkinWho
  case checkinWhoHint, checkinCount, checkinCountHint, checkinConnected, checkinSendCount, checkinHelp
  case checkinOtherLanguage, checkinRecorded, checkinRecordedConnected, checkinRecordedCount, checkinRecordedHelp
  case checkinRecordedBy, checkinDuplicate, checkinStale, checkinNeedWho, checkinNeedCount, checkinSendAgain
  case checkinNotFound, checkinTooLarge, checkinTooMany, checkinBadRequest, checkinNotRecorded, checkinHelpStillOn
  case checkCheckin, checkCheckinNoListen
  // MARK: Bridge (issue 32): the `bridges:` config, the bridge's column, header, detail pane (BridgeStrings.swift)
  case bridgesNotList, bridgesTooMany, bridgeNotMapping, bridgeMissing, bridgeKindUnknown, bridgeURLTooLong
  case bridgeCAFileNeedsHTTPS, bridgeCAFileBad, bridgeCAFileTooLarge, bridgeCAFileNoCertificate, bridgeCAFileNotRegular
  case bridgeURLBad, bridgeRoomBad, bridgePluginBad, bridgePollBad, bridgeListenBad
  case bridgeCredentialsUnreadable, bridgeCredentialsReadable, bridgeCredentialsBad, bridgeDuplicate, bridgeNameTwice, bridgeNameBad
  case bridgeCellIn, bridgeCellOut, bridgeCellUnknown, bridgeCellSilent, bridgeCellAbsent
  case headerBridgeIn, headerAgentSilent, headerNotInBridge, headerUnmatched, headerBridgeFailing
  case detailBridge, detailBridgeIn, detailBridgeOut, detailBridgeUnknown, detailBridgeMedia, detailBridgeLegs
  case checkBridgeHTTPS, checkBridgeSystemTrust, bridgeAudioArriving, bridgeAudioNotArriving, bridgeAdminURLNotJanus
  case janusAdminTooMany, detailBridgeAudioUnread
  case checkBridge, detailBridgeAgentSilent, detailBridgeNotIn, bridgeMuted, bridgeUnmuted, bridgeTalking, bridgeMediaUp, bridgeMediaDown
  // MARK: Bridge push receivers (issue 32, events_listen): the config's problems, the dashboard's counts
  // (BridgeEventStrings.swift)
  case bridgeListenTwice, headerBridgeEvents, headerBridgeEventsRefused, detailBridgePushed
  // MARK: Bridge vendors (issue 32): CMS and Pexip config and poll problems (VendorBridgeStrings.swift)
  case vendorCredentialsBad, vendorConferenceBad, vendorJanusOnly, vendorConferenceNotJanus
  case vendorHTTPStatus, vendorUnauthorized, vendorNotXML, vendorNotJSON, vendorFieldMissing, vendorFieldWrongType
  case vendorTooManyParticipants, vendorTooManyPages, vendorNextNotPath, vendorCMSFailure, vendorTooManyCalls
  case vendorXMLTooDeep, vendorXMLTooMany, vendorXMLDoctype, vendorXMLMalformed
  // MARK: Bridge HTTP client and keys file (issue 32 review): poll and keys-file problems (BridgeHTTPStrings.swift)
  case httpHeaderNotOneLine, httpNoAnswerWithin, httpPollFailed, httpCannotConnect, httpNoAddress, httpSendFailed
  case httpAnswerTooLarge, httpReadFailed, httpClosedWithoutAnswer, httpNotHTTP, httpNotHTTPLine, httpChunked, httpBodyTooLarge
  case hostDoesNotResolve, hostResolveTimeout, httpAnswerCutShort
  case tlsSetupFailed, tlsCAFileUnreadable, tlsCertificateRefused, tlsFailed, tlsClosedAbruptly
  case janusSessionGone, janusCannotEncode, janusNotJSON, janusError, janusNoReason, janusUnexpected, janusNoSessionID
  case janusNoHandleID, janusNoSession, janusNoPluginData, janusRefusedList, janusNoParticipants, janusNoRoster
  case keysCannotRead, keysReadableByOthers, keysNotUTF8, keysCannotParse, keysNotMapping, keysNotSiteID, keysUnknownSiteID
  case keysSecretShort, keysTokenShared, keysEntryBad, keysNoSecret, keysTokenBad, keysPreviousEmpty, keysPreviousUntilBad
  case keysPreviousNeedsUntil, keysUntilWithoutPrevious
  // MARK: Keys file reloaded by the running monitor (issue 33, rotation without a restart; KeysReloadText.swift)
  case keysReloaded, keysReloadRefused
  // MARK: What the monitor's answer to an operator action did, from its events (issue 31; AnswerText.swift)
  case eventClaimReleasedOther, answerNothingChanged, answerAppliedUntold
  case refusalNoSuchSite, refusalNotMarked, refusalNothingToAcknowledge, refusalHeadcountOutOfRange, refusalEmptyReason
  case refusalHeadcountAboveExpected, refusalFieldOperatorName, refusalFieldReason, refusalFieldNote, refusalTextTooLong
  case refusalTextControlCharacter, refusalAlreadyMarked, refusalAlreadyAcknowledged, refusalChangedMeanwhile
  case refusalAlreadyClaimed, refusalNotClaimed, refusalClaimedByAnother
  // MARK: Bridge call quality (issue 32): the row, header and detail pane's quality (BridgeQualityText.swift)
  case bridgeCellDegraded, bridgeCellBad, headerBridgeDegraded, headerBridgeBad, detailBridgeQuality, qualityGood
  case qualityDegraded, qualityBad, detailBridgeLoss, detailBridgeJitter, detailBridgeRoundTrip, detailBridgeSays
  case detailBridgeAlarms
}

public struct Strings: Sendable {
  public let language: Language
  private let table: [TextKey: String]
  private let statusNames: [String]

  public static let english = Strings(.en)

  public init(_ language: Language) {
    self.language = language
    let table = Self.table(language)
    self.table = table
    let keys: [TextKey] = [.statusUnknown, .statusOnline, .statusLate, .statusOffline, .statusMarked]
    statusNames = keys.map { table[$0] ?? $0.rawValue }
  }

  /// The text for `key` with `{0}`, `{1}`... replaced by `arguments`.
  public func callAsFunction(_ key: TextKey, _ arguments: any CustomStringConvertible...) -> String {
    Self.fill(table[key] ?? key.rawValue, arguments)
  }

  /// `template` with `{0}`, `{1}`... replaced by `arguments`, in one pass: a "{1}" inside an argument (a site's
  /// name) is never substituted.
  public static func fill(_ template: String, _ arguments: [any CustomStringConvertible]) -> String {
    guard !arguments.isEmpty else { return template }
    var text = ""
    var rest = template[...]
    while let open = rest.firstIndex(of: "{") {
      text += rest[..<open]
      let afterOpen = rest.index(after: open)
      if let close = rest[afterOpen...].firstIndex(of: "}"), let position = Int(rest[afterOpen..<close]),
        arguments.indices.contains(position)
      {
        text += arguments[position].description
        rest = rest[rest.index(after: close)...]
      } else {
        text += "{"
        rest = rest[afterOpen...]
      }
    }
    return text + rest
  }

  /// SiteStatus.rawValue indexes the precomputed names: no lookup per table row.
  public func status(_ status: SiteStatus) -> String { statusNames[status.rawValue] }

  /// Why a site's datagrams are refused, in words a technician acts on ("wrong key": check the site's key file).
  public func rejection(_ reason: RejectionReason) -> String {
    switch reason {
    case .badMAC: self(.refusedBadKey)
    case .replayed: self(.refusedReplayed)
    case .stale: self(.refusedClock)
    case .unauthenticated: self(.refusedUnsigned)
    case .unknownSite: self(.refusedUnknownSite)
    case .tooLarge: self(.refusedTooLarge)
    case .malformed: self(.refusedMalformed)
    }
  }

  /// What a probe found: "SIP 486", "no answer"; `short` for the Flags column, else with the SIP reason phrase
  /// (English protocol text, kept in English only) and TCP's "host up, port closed".
  public func probeOutcome(_ outcome: ProbeOutcome, short: Bool) -> String {
    switch outcome {
    case .sipAnswered(let code):
      short || language == .vi ? self(.probeSIP, code) : "\(self(.probeSIP, code)) \(ProbeOutcome.sipReason(code))"
    case .tcpConnected: self(short ? .probeTCPConnectedShort : .probeTCPConnected)
    case .tcpRefused: self(short ? .probeTCPRefusedShort : .probeTCPRefused)
    case .icmpReply: self(short ? .probeICMPReplyShort : .probeICMPReply)
    case .timedOut: self(.probeNoAnswer)
    case .unreachable: self(.probeUnreachable)
    }
  }

  /// How a heartbeat or count reached the monitor, for people: "udp", "file", "operator", "probe".
  public func source(_ source: HeartbeatSource) -> String {
    switch source {
    case .udp: self(.sourceUDP)
    case .file: self(.sourceFile)
    case .manual: self(.sourceManual)
    case .probe: self(.sourceProbe)
    case .checkin: self(.sourceCheckin)
    }
  }

  /// Why a typed headcount was refused, with the rule (a whole number; thousands as 1.234, 1,234 or 1 234).
  public func countProblem(_ problem: CountText.Problem) -> String {
    let range = self(.countRule, number(HeartbeatCodec.maximumCount))
    return switch problem {
    case .notText: self(.countNotText, range)
    case .empty: self(.countEmpty, range)
    case .moreThanOneLine: self(.countSeveralLines, range)
    case .notANumber(let text): self(.countNotANumber, range, TextSanitizer.printable(text))
    case .tooLarge(let value): self(.countTooLarge, range, number(value))
    }
  }

  /// 11631 -> "11,631" in English, "11.631" in Vietnamese.
  public func number(_ value: Int) -> String { NumberText.grouped(value, separator: language == .vi ? "." : ",") }

  /// One decimal: "98.5%" / "98,5%".
  public func percent(_ value: Double) -> String {
    // Total: a figure no site can produce still prints (as "?") rather than trapping the dashboard.
    guard value.isFinite, abs(value) < 1e15 else { return "?%" }
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10)\(language == .vi ? "," : ".")\(tenths % 10)%"
  }

  public var markPresets: [String] {
    [self(.presetNoSignal), self(.presetPowerCut), self(.presetLineDown), self(.presetCancelled)]
  }

  public static func table(_ language: Language) -> [TextKey: String] {
    language == .vi ? allVietnamese : allEnglish
  }

  private static let allEnglish = englishTable.merging(englishCommandTable) { dashboard, _ in dashboard }
    .merging(englishOverviewTable) { dashboard, _ in dashboard }
    .merging(englishEnrolmentTable) { earlier, _ in earlier }
    .merging(englishBridgeTable) { dashboard, _ in dashboard }
    .merging(englishBridgeEventTable) { dashboard, _ in dashboard }
    .merging(englishVendorBridgeTable) { dashboard, _ in dashboard }
    .merging(englishCheckinTable) { earlier, _ in earlier }
    .merging(englishBridgeHTTPTable) { dashboard, _ in dashboard }
    .merging(englishKeysReloadTable) { earlier, _ in earlier }
    .merging(englishAnswerTable) { earlier, _ in earlier }
    .merging(englishBridgeQualityTable) { earlier, _ in earlier }
  private static let allVietnamese = vietnameseTable.merging(vietnameseCommandTable) { dashboard, _ in dashboard }
    .merging(vietnameseOverviewTable) { dashboard, _ in dashboard }
    .merging(vietnameseEnrolmentTable) { earlier, _ in earlier }
    .merging(vietnameseBridgeTable) { dashboard, _ in dashboard }
    .merging(vietnameseBridgeEventTable) { dashboard, _ in dashboard }
    .merging(vietnameseVendorBridgeTable) { dashboard, _ in dashboard }
    .merging(vietnameseCheckinTable) { earlier, _ in earlier }
    .merging(vietnameseBridgeHTTPTable) { dashboard, _ in dashboard }
    .merging(vietnameseKeysReloadTable) { earlier, _ in earlier }
    .merging(vietnameseAnswerTable) { earlier, _ in earlier }
    .merging(vietnameseBridgeQualityTable) { earlier, _ in earlier }

  static let englishTable: [TextKey: String] = [
    .attendance: "Attendance {0} / {1}", .headerOnline: "Online", .headerOffline: "Offline", .headerLate: "Late",
    .headerAlerts: "Alerts", .headerHelp: "Help", .headerMarked: "Marked", .headerNotConnected: "Not connected",
    .flagRefused: "REFUSED: {0}", .detailRefused: "Refused", .detailRefusedCount: "{0} since start",
    .detailRefusedLast: "last {0} from {1}", .refusedBadKey: "wrong key", .refusedReplayed: "replayed",
    .refusedClock: "clock off", .refusedUnsigned: "not signed", .refusedOther: "bad datagram", .filtered: "filtered: {0} of {1}",
    .sortedBy: "sort: {0}",
    .beforeSession: "before {0}", .afterLastSession: "after the last session", .betweenSessions: "between sessions",
    .statusUnknown: "unknown", .statusOnline: "online", .statusLate: "late", .statusOffline: "offline", .statusMarked: "marked",
    .columnStatus: "Status", .columnID: "ID", .columnName: "Name", .columnCount: "Count/Exp", .columnHeard: "Heard",
    .columnLoss: "Loss", .columnRTT: "RTT", .columnFlags: "Flags", .columnGroup: "Group",
    .groupOnline: "{0}/{1} online", .groupOffline: "{0} offline", .rowsShown: "{0}-{1} of {2} rows", .never: "never",
    .noSiteMatches: "No site matches the filter. Esc clears it.",
    .flagHelp: "HELP", .flagRecovering: "recovering {0}/{1}", .flagFlapping: "flapping", .flagDegraded: "degraded",
    .flagBadFile: "bad file", .flagFileError: "file error", .flagMarkedBy: "by {0}: {1}", .flagHeardAgain: "(heard again)",
    .flagAcknowledged: "ack {0}", .flagByProbe: "probe {0}", .flagByAgent: "by agent",
    .detailProbe: "Probe", .detailProbeNotYet: "not probed yet",
    .sortGroup: "group", .sortSeverity: "severity", .sortName: "name", .sortShortfall: "headcount shortfall",
    .sortLastHeard: "last heard",
    .wallTitle: "Wall: {0} sites, one cell each", .wallLegend: "● online ◐ late ✖ offline ⊘ marked ! help ? unknown",
    .detailTitle: "Site {0}", .detailGroup: "Group", .detailExpected: "expected {0}", .detailSourceUDP: "heartbeats by UDP",
    .detailSourceFile: "or file {0}", .detailSigned: "signed", .detailUnsigned: "unsigned", .detailStatus: "Status",
    .detailSince: "since {0} ({1} ago)", .detailLastHeartbeat: "Last heartbeat", .detailNeverHeard: "never heard",
    .detailNoneSince: "none since {0} ({1} ago), when this run began to wait for it",
    .detailLoss: "loss {0}", .detailRTT: "rtt {0} ms", .detailMark: "Marked offline by {0} at {1}: {2}",
    .detailAcknowledged: "acknowledged by {0}", .detailHeadcountHistory: "Headcount, last 60 min",
    .detailBeatHistory: "Heartbeats, last 60 min", .detailBeatLegend: "1 cell = {0}; █ heard, ▄ some missed, · missed",
    .detailEvents: "Events of this site", .detailNoEvents: "none in this run", .detailClose: "Esc closes",
    .groupLate: "{0} late", .groupMarked: "{0} marked", .groupNotConnected: "{0} not connected", .detailHeadcount: "Headcount",
    .countByHand: "by hand: {0}",
    .detailNotCounted: "{0} not counted: this site is {1}; only sites online or late count in attendance",
    .eventsTitle: "Events (newest first)", .journalNotWritten: "JOURNAL NOT WRITTEN: {0}",
    .clockOff: "MONITOR CLOCK OFF? {0} of {1} signed heartbeats in 30 s refused as stale; check: timedatectl",
    .clockStepped: "CLOCK STEPPED {0} at {1}; ages unaffected, the report re-bases times", .countersUDP: "udp {0} ok",
    .countersRejected: "{0} rejected ({1})", .countersFiles: "files {0} read", .countersBad: "{0} bad",
    .statusSince: "since {0}", .countSource: "count from {0}", .promptHint: "Enter = confirm · Esc = cancel",
    .markPrompt: "Mark {0} offline. Reason: {1}, or type one: ", .headcountPrompt: "Headcount for {0} (expected {1}): ",
    .filterPrompt: "Filter (id, name or group; no accents needed): ", .filterHint: "Enter = keep filter · Esc = clear",
    .confirmQuit: "Quit BridgeWatch? y = quit, any other key = stay", .helpTitle: "Keys", .helpClose: "any key closes this help",
    .tooSmall: "Terminal too small: {0}x{1}.", .enlarge: "Enlarge to at least {0}x{1}.",
    .cancelled: "cancelled", .giveReason: "give a reason: 1-{0} or text",
    .badHeadcount: "headcount must be a whole number from 0 to {0}; '{1}' was not applied",
    .notMarked: "{0} is not marked offline", .cannotAcknowledge: "only a late or offline site can be acknowledged; {0} is {1}",
    .themeChanged: "theme: {0}", .themeNoColours: " (this terminal has no colours)",
    .notDone: "not done: {0}", .filterCleared: "filter cleared",
    .problemsOnly: "showing problems only (offline, late, marked, help, flapping)",
    .allSites: "showing all sites", .sortChanged: "sorted by {0}",
    .presetNoSignal: "no signal", .presetPowerCut: "power cut", .presetLineDown: "line down", .presetCancelled: "cancelled by site",
    .keyMove: "move; ← → also across the wall",
    .keyPaging: "page up, page down, first row, last row",
    .keyOpen: "fold a group; open a site; overview: enter the group", .keyCollapseAll: "collapse all groups",
    .keyExpandAll: "expand all groups", .keyFilter: "filter by id, name or group (accents optional)",
    .keyProblems: "problems only: offline, late, marked, help, flapping", .keyEscape: "back: close detail, leave the group, clear filter",
    .keySort: "sort: group, severity, name, shortfall, last heard", .keyWall: "wall: a cell per site, or the overview if too many",
    .keyMark: "mark the selected site offline, with a reason", .keyClear: "clear the mark on the selected site",
    .keyAcknowledge: "acknowledge a late or offline site: no alert, bell",
    .keyClaim: "I'm on it (shown on every console); again to release",
    .footerClaim: "on it",
    .readOnlyConsole: "read-only console: actions are made on another console", .readOnlyTag: "read-only",
    .monitorGone: "monitor gone, reconnecting",
    .roleStandby: "STANDBY", .rolePrimarySilent: "PRIMARY SILENT since {0}: if it is down, promote this standby: {1}",
    .rolePrimarySilentShort: "PRIMARY SILENT: {0}", .roleReplaced: "REPLACED",
    .primarySilentLine: "PRIMARY SILENT since {0}: if it is down, promote this standby ({1} on this machine)",
    .replacedLine: "REPLACED: {0} was promoted at {1}; act there. Stop this monitor and restart it as a standby (run --follow)",
    .promotedLine: "this standby was promoted to primary: operators act here now",
    .standbyActionRefused: "standby: act on the primary ({0}); its actions arrive here by themselves",
    .silentActionRefused: "standby, primary silent: promote this monitor first ({0}), then act",
    .replacedActionRefused: "replaced: the standby was promoted; act on it",
    .noAnswer: "the monitor did not answer in time; look at the site before trying again",
    .flagClaimed: "{0} is on it", .confirmRelease: "{0} is on {1} since {2}. Release it? y = yes, any other key = no",
    .confirmHeadcount: "{0}: {1} people is more than the {2} expected. Set {1}? y = yes, any other key = no",
    .keyCount: "set the headcount by hand (phoned in)", .keyTheme: "next colour theme",
    .keyHelp: "show or hide this help", .keyQuit: "quit (asks to confirm)",
    .footerFilter: "filter", .footerProblems: "problems", .footerSort: "sort", .footerWall: "wall", .footerDetail: "detail",
    .footerMark: "mark", .footerClear: "clear", .footerAck: "ack", .footerCount: "count", .footerTheme: "theme",
    .footerHelp: "help", .footerQuit: "quit",
    .eventStatus: "{0}: {1} -> {2} ({3})", .causeHeartbeat: "heartbeat", .causeSilence: "silence", .causeMarked: "marked by {0}: {1}",
    .causeMarkCleared: "mark cleared by {0}", .eventAcknowledged: "{0}: acknowledged by {1}",
    .eventClaimed: "{0}: {1} is on it", .eventClaimReleased: "{0}: released by {1}",
    .eventClaimEnded: "{0}: back online, nobody needs to be on it",
    .eventHeadcount: "{0}: headcount set to {1} by {2}", .eventFlapping: "{0}: flapping", .eventNotFlapping: "{0}: no longer flapping",
    .eventHelp: "{0}: asks for help", .eventHelpWithdrawn: "{0}: help request withdrawn",
    .eventHeardWhileMarked: "{0}: heartbeats resumed while marked offline",
  ]

  static let vietnameseTable: [TextKey: String] = [
    .attendance: "Quân số {0} / {1}", .headerOnline: "Trực tuyến", .headerOffline: "Mất kết nối", .headerLate: "Chậm",
    .headerAlerts: "Cảnh báo", .headerHelp: "Cần hỗ trợ", .headerMarked: "Đánh dấu", .headerNotConnected: "Chưa kết nối",
    .flagRefused: "BỊ TỪ CHỐI: {0}", .detailRefused: "Bị từ chối", .detailRefusedCount: "{0} lần từ khi chạy",
    .detailRefusedLast: "lần cuối {0} từ {1}", .refusedBadKey: "sai khóa", .refusedReplayed: "gửi lặp lại",
    .refusedClock: "lệch đồng hồ", .refusedUnsigned: "thiếu chữ ký", .refusedOther: "gói tin sai", .filtered: "lọc: {0} / {1}",
    .sortedBy: "sắp xếp: {0}",
    .beforeSession: "trước {0}", .afterLastSession: "sau phiên cuối", .betweenSessions: "giữa hai phiên",
    .statusUnknown: "chưa rõ", .statusOnline: "trực tuyến", .statusLate: "chậm", .statusOffline: "mất kết nối",
    .statusMarked: "đã đánh dấu",
    .columnStatus: "Trạng thái", .columnID: "Mã", .columnName: "Điểm cầu", .columnCount: "Người/Dự kiến", .columnHeard: "Lần cuối",
    .columnLoss: "Mất gói", .columnRTT: "RTT", .columnFlags: "Ghi chú", .columnGroup: "Đơn vị",
    .groupOnline: "{0}/{1} trực tuyến", .groupOffline: "{0} mất kết nối", .rowsShown: "dòng {0}-{1} / {2}", .never: "chưa có",
    .noSiteMatches: "Không có điểm cầu nào khớp bộ lọc. Esc để bỏ lọc.",
    .flagHelp: "CẦN HỖ TRỢ", .flagRecovering: "đang phục hồi {0}/{1}", .flagFlapping: "chập chờn", .flagDegraded: "suy giảm",
    .flagBadFile: "tệp sai", .flagFileError: "lỗi đọc tệp", .flagMarkedBy: "{0}: {1}", .flagHeardAgain: "(có tín hiệu lại)",
    .flagAcknowledged: "{0} đã xác nhận", .flagByProbe: "thăm dò {0}", .flagByAgent: "qua agent",
    .detailProbe: "Thăm dò", .detailProbeNotYet: "chưa thăm dò",
    .sortGroup: "đơn vị", .sortSeverity: "mức độ sự cố", .sortName: "tên", .sortShortfall: "thiếu quân số",
    .sortLastHeard: "tín hiệu cuối",
    .wallTitle: "Toàn cảnh: {0} điểm cầu, mỗi ô một điểm",
    .wallLegend: "● trực tuyến ◐ chậm ✖ mất kết nối ⊘ đã đánh dấu ! cần hỗ trợ ? chưa rõ",
    .detailTitle: "Điểm cầu {0}", .detailGroup: "Đơn vị", .detailExpected: "dự kiến {0}", .detailSourceUDP: "tín hiệu qua UDP",
    .detailSourceFile: "hoặc tệp {0}", .detailSigned: "có ký", .detailUnsigned: "không ký", .detailStatus: "Trạng thái",
    .detailSince: "từ {0} ({1} trước)", .detailLastHeartbeat: "Tín hiệu cuối", .detailNeverHeard: "chưa nhận tín hiệu",
    .detailNoneSince: "không có tín hiệu từ {0} ({1} trước), lúc lần chạy này bắt đầu chờ",
    .detailLoss: "mất gói {0}", .detailRTT: "rtt {0} ms", .detailMark: "{0} đánh dấu ngoại tuyến lúc {1}: {2}",
    .detailAcknowledged: "{0} đã xác nhận", .detailHeadcountHistory: "Quân số, 60 phút qua",
    .detailBeatHistory: "Tín hiệu, 60 phút qua", .detailBeatLegend: "1 ô = {0}; █ có, ▄ mất một phần, · mất",
    .detailEvents: "Sự kiện của điểm cầu", .detailNoEvents: "chưa có trong lần chạy này", .detailClose: "Esc để đóng",
    .groupLate: "{0} chậm", .groupMarked: "{0} đã đánh dấu", .groupNotConnected: "{0} chưa kết nối", .detailHeadcount: "Quân số",
    .countByHand: "nhập tay: {0}",
    .detailNotCounted: "{0} không được tính: điểm này {1}; chỉ tính điểm cầu trực tuyến hoặc chậm",
    .eventsTitle: "Sự kiện (mới nhất trước)", .journalNotWritten: "NHẬT KÝ KHÔNG GHI ĐƯỢC: {0}",
    .clockOff: "ĐỒNG HỒ MÁY GIÁM SÁT SAI? {0}/{1} nhịp có ký trong 30 giây bị từ chối vì lệch giờ; kiểm tra: timedatectl",
    .clockStepped: "ĐỒNG HỒ NHẢY {0} lúc {1}; tuổi nhịp không ảnh hưởng, báo cáo tự hiệu chỉnh giờ", .countersUDP: "udp {0} hợp lệ",
    .countersRejected: "{0} bị từ chối ({1})", .countersFiles: "tệp {0} đã đọc", .countersBad: "{0} lỗi",
    .statusSince: "từ {0}", .countSource: "quân số từ {0}", .promptHint: "Enter = xác nhận · Esc = hủy",
    .markPrompt: "Đánh dấu ngoại tuyến {0}. Lý do: {1}, hoặc gõ lý do: ", .headcountPrompt: "Quân số của {0} (dự kiến {1}): ",
    .filterPrompt: "Lọc (mã, tên hoặc đơn vị; gõ không dấu cũng được): ", .filterHint: "Enter = giữ bộ lọc · Esc = bỏ lọc",
    .confirmQuit: "Thoát BridgeWatch? y = thoát, phím khác = ở lại", .helpTitle: "Phím tắt",
    .helpClose: "nhấn phím bất kỳ để đóng", .tooSmall: "Cửa sổ quá nhỏ: {0}x{1}.", .enlarge: "Hãy mở rộng tối thiểu {0}x{1}.",
    .cancelled: "đã hủy", .giveReason: "nhập lý do: 1-{0} hoặc gõ chữ",
    .badHeadcount: "quân số phải là số nguyên từ 0 đến {0}; '{1}' không được áp dụng",
    .notMarked: "{0} chưa bị đánh dấu ngoại tuyến",
    .cannotAcknowledge: "chỉ xác nhận được điểm cầu chậm hoặc mất kết nối; {0} đang {1}", .themeChanged: "giao diện: {0}",
    .themeNoColours: " (terminal này không có màu)",
    .notDone: "chưa thực hiện: {0}", .filterCleared: "đã bỏ lọc",
    .problemsOnly: "chỉ hiện sự cố (mất kết nối, chậm, ngoại tuyến, cần hỗ trợ, chập chờn)", .allSites: "hiện tất cả điểm cầu",
    .sortChanged: "sắp xếp theo {0}",
    .presetNoSignal: "mất tín hiệu", .presetPowerCut: "mất điện", .presetLineDown: "đứt đường truyền",
    .presetCancelled: "điểm cầu báo hủy",
    .keyMove: "di chuyển; ← → cả trong toàn cảnh",
    .keyPaging: "trang trước, trang sau, dòng đầu, dòng cuối",
    .keyOpen: "thu gọn/mở đơn vị; chi tiết điểm cầu; vào đơn vị", .keyCollapseAll: "thu gọn mọi đơn vị",
    .keyExpandAll: "mở mọi đơn vị", .keyFilter: "lọc theo mã, tên hoặc đơn vị (không cần dấu)",
    .keyProblems: "chỉ sự cố: mất kết nối, chậm, đánh dấu, cần hỗ trợ", .keyEscape: "quay lại: đóng chi tiết, ra khỏi đơn vị, bỏ lọc",
    .keySort: "sắp xếp: đơn vị, sự cố, tên, thiếu quân số, lần cuối",
    .keyWall: "toàn cảnh mỗi điểm một ô, quá nhiều thì tổng quan", .keyMark: "đánh dấu ngoại tuyến điểm cầu đang chọn, kèm lý do",
    .keyClear: "bỏ đánh dấu điểm cầu đang chọn", .keyAcknowledge: "xác nhận điểm chậm/mất kết nối: tắt cảnh báo, chuông",
    .keyClaim: "tôi đang xử lý (mọi màn hình đều thấy); bấm lại để thôi",
    .footerClaim: "xử lý",
    .readOnlyConsole: "màn hình chỉ xem: thao tác ở màn hình khác", .readOnlyTag: "chỉ xem",
    .monitorGone: "mất kết nối máy giám sát, đang kết nối lại",
    .roleStandby: "DỰ PHÒNG", .rolePrimarySilent: "MÁY CHÍNH IM LẶNG từ {0}: nếu máy chính hỏng, nâng máy dự phòng này lên: {1}",
    .rolePrimarySilentShort: "MÁY CHÍNH IM LẶNG: {0}", .roleReplaced: "ĐÃ BỊ THAY THẾ",
    .primarySilentLine: "MÁY CHÍNH IM LẶNG từ {0}: nếu máy chính hỏng, nâng máy dự phòng này lên ({1} trên máy này)",
    .replacedLine: "ĐÃ BỊ THAY THẾ: {0} đã được nâng lên lúc {1}; thao tác ở đó. Dừng máy này và chạy lại làm dự phòng (run --follow)",
    .promotedLine: "máy dự phòng này đã được nâng lên làm máy chính: thao tác tại đây",
    .standbyActionRefused: "máy dự phòng: thao tác ở máy chính ({0}); thao tác ở đó tự chuyển sang đây",
    .silentActionRefused: "máy dự phòng, máy chính im lặng: nâng máy này lên trước ({0}), rồi thao tác",
    .replacedActionRefused: "đã bị thay thế: máy dự phòng đã được nâng lên; thao tác ở đó",
    .noAnswer: "máy giám sát không trả lời kịp; xem lại điểm cầu trước khi thử lại",
    .flagClaimed: "{0} đang xử lý", .confirmRelease: "{0} đang xử lý {1} từ {2}. Thôi xử lý thay? y = có, phím khác = không",
    .confirmHeadcount: "{0}: {1} người, nhiều hơn {2} dự kiến. Vẫn đặt {1}? y = có, phím khác = không",
    .keyCount: "nhập quân số bằng tay (báo qua điện thoại)", .keyTheme: "đổi bảng màu", .keyHelp: "hiện hoặc ẩn trợ giúp này",
    .keyQuit: "thoát (hỏi lại trước)",
    .footerFilter: "lọc", .footerProblems: "sự cố", .footerSort: "sắp xếp", .footerWall: "toàn cảnh", .footerDetail: "chi tiết",
    .footerMark: "đánh dấu", .footerClear: "bỏ dấu", .footerAck: "xác nhận", .footerCount: "quân số", .footerTheme: "màu",
    .footerHelp: "trợ giúp", .footerQuit: "thoát",
    .eventStatus: "{0}: {1} -> {2} ({3})", .causeHeartbeat: "có tín hiệu", .causeSilence: "mất tín hiệu",
    .causeMarked: "{0} đánh dấu: {1}", .causeMarkCleared: "{0} bỏ đánh dấu", .eventAcknowledged: "{0}: {1} đã xác nhận",
    .eventClaimed: "{0}: {1} đang xử lý", .eventClaimReleased: "{0}: {1} thôi xử lý",
    .eventClaimEnded: "{0}: đã trực tuyến lại, thôi xử lý",
    .eventHeadcount: "{0}: {2} đặt quân số {1}", .eventFlapping: "{0}: chập chờn", .eventNotFlapping: "{0}: hết chập chờn",
    .eventHelp: "{0}: cần hỗ trợ", .eventHelpWithdrawn: "{0}: thôi yêu cầu hỗ trợ",
    .eventHeardWhileMarked: "{0}: có tín hiệu lại trong khi đang đánh dấu ngoại tuyến",
  ]
}

// The words of `check`, `status`, `agent` and `send`, and what the dashboard used to print in English (issue 29):
// one table beside the dashboard's, merged into it, so the same test checks every key in both languages.
extension Strings {
  static let englishCommandTable: [TextKey: String] = [
    .probeSIP: "SIP {0}", .probeTCPConnected: "TCP connected", .probeTCPConnectedShort: "TCP",
    .probeTCPRefused: "TCP refused (host up, port closed)", .probeTCPRefusedShort: "TCP refused", .probeICMPReply: "ICMP echo reply",
    .probeICMPReplyShort: "ICMP", .probeNoAnswer: "no answer", .probeUnreachable: "unreachable",
    .sourceUDP: "udp", .sourceFile: "file", .sourceManual: "operator", .sourceProbe: "probe", .detailSequence: "seq {0}",
    .detailSiteSays: "state {0}", .reportedOK: "ok", .reportedHelp: "help",
    .refusedUnknownSite: "unknown site", .refusedTooLarge: "too large", .refusedMalformed: "malformed",
    .demoBanner: "DEMO · simulated", .detailContact: "Contact",
    .checkConfigOK: "config: {0}: OK", .checkSites: "{0} bridge points in {1} groups, expected headcount {2}",
    .checkTiming: "timing: heartbeat every {0}, late after {1}, offline after {2}, back online after {3}",
    .heartbeatsOne: "1 heartbeat", .heartbeatsMany: "{0} heartbeats",
    .checkUDP: "udp: listen {0}, authentication {1}, {2} of {3} sites have keys", .authRequired: "required",
    .authOptional: "optional", .checkHeartbeatFiles: "heartbeat files: {0}", .checkJournal: "journal: {0}",
    .checkConsoles: "console socket: {0} (at most {1} consoles{2})", .checkReadOnlyFor: "; read-only for {0}",
    .checkProbes: "probes: {0} sites ({1}), every {2}, timeout {3}, at most {4}/s",
    .checkMetrics: "metrics: http://{0}/metrics{1}", .checkMetricsPerSite: ", with per-site series",
    .checkMetricsOff: "metrics: off (metrics.listen)", .checkStatusFile: "status file: {0}", .checkGroups: "groups:",
    .checkGroupLine: "{0}  {1} sites {2} expected", .checkWarning: "warning: {0}",
    .statusMonitor: "{0}: monitor pid {1}, socket {2}",
    .statusSites: "sites: {0} · online {1} · late {2} · offline {3} · marked {4} · unknown {5}",
    .statusAttendance: "attendance: {0} of {1}", .statusAlerts: "alerts: {0} not acknowledged · help requests {1} · flapping {2}",
    .statusClaimed: "being handled: {0} site(s) claimed", .statusConsoles: "consoles attached: {0}",
    .statusConsoleReadOnly: ", read-only", .statusConsoleGroup: ", group {0}", .statusConsoleSince: ", since {0}",
    .statusReplaced: "REPLACED: the standby {0} was promoted at {1}; operator actions are refused here",
    .statusPromoted: "role: primary, promoted from standby at {0}", .statusStandbyOf: "role: STANDBY of {0}",
    .statusPrimarySilent: " · PRIMARY SILENT since {0}; if it is down: {1}",
    .statusPrimaryLastHeard: " · primary last heard {0}", .statusLink: " · link: {0}",
    .statusProblems: "to call (offline, late, help):", .statusProblemsMore: "  and {0} more (the dashboard's ! lists them all)",
    .statusContact: "contact {0}", .statusNoMonitor: "no monitor is running on {0}",
    .agentSending: "sending heartbeats for {0} to {1} every {2}{3}", .agentSigned: ", signed", .agentUnsigned: ", unsigned",
    .agentAnd: " and ", .agentOr: " or ", .agentConnected: "{0}connected: the monitor acknowledged seq {1} (rtt {2} ms)",
    .agentNoAck: "{0}no ack for {1}s; still sending every {2}", .agentAcksBack: "{0}acks are back after {1}s (rtt {2} ms)",
    .agentNoMonitorAcks: "NO monitor acknowledges any more; still sending to all",
    .agentHeardAgain: "heard again by at least one monitor",
    .agentNoAnswerYet:
      "no answer from {0} yet after {1}s ({2} heartbeats sent); check the monitor's address and port, a firewall, and that the site's id and key match the monitor's config",
    .agentRetrying: "{0}; retrying every {1}", .agentCannotSend: "cannot send to {0}: {1}; retrying every {2}",
    .agentKeepingFile: "keeping {0} fresh for {1} every {2}{3}", .agentWritingAgain: "writing {0} again",
    .agentCannotWrite: "cannot write {0}; retrying every {1}", .agentWrittenAgo: "written {0}s ago", .agentHeadcount: "headcount {0}",
    .agentSequence: "seq {0}", .agentWaitingFirstAck: "waiting for the first ack ({0} sent)",
    .agentLineConnected: "connected, last ack {0}s ago, rtt {1} ms", .agentLineNoAck: "NO ACK for {0}s, still sending every {1}",
    .agentStopped: "stopped after {0} heartbeats, {1} acknowledged", .agentCountFileProblem: "count file {0}: {1}{2}",
    .countRule: "a whole number from 0 to {0} (thousands written 1.234, 1,234 or 1 234)",
    .countNotText: "expected {0}, found bytes that are not text", .countEmpty: "expected {0}, the file is empty",
    .countSeveralLines: "expected {0} on one line, found several lines", .countNotANumber: "expected {0}, got '{1}'",
    .countTooLarge: "expected {0}, got {1}",
    .agentCountFileNotSmall: "count file {0}: not a small text file{1}", .agentHeadcountChanged: "headcount {0} → {1} (from {2})",
    .agentNoHeadcount: "none", .agentStillReporting: "; still reporting {0}", .agentSendingWithoutCount: "; sending without a headcount",
    .keyFileUnreadable: "cannot read key file {0} ({1})", .keyFileEmpty: "{0}:1: the key file is empty",
    .keyFileOneLine: "{0}:2: the key file must hold one line, the site's secret",
    .keyFileReadableByOthers: "warning: {0} is readable by other users (mode {1}); chmod 600 it",
    .fileMissing: "no such file", .fileIsDirectory: "it is a directory", .filePermissionDenied: "permission denied",
    .fileReadFailed: "read failed",
    .sendSent: "sent to {0}: {1}", .sendAck: "ack{0}: {1} (rtt {2} ms)", .sendFrom: " from {0}",
    .sendNoAck:
      "no ack{0} within {1}: the address or port is wrong, the line is blocked, or the monitor rejected the heartbeat (unknown site: ids are case-sensitive; missing or wrong key; clock off by over 2 minutes); its log says which, with the id it received",
    .sendPortClosed:
      "{0}: the host answered that no program listens on that UDP port: check the monitor's port (udp.listen in its config) and that the monitor runs",
  ]

  static let vietnameseCommandTable: [TextKey: String] = [
    .probeSIP: "SIP {0}", .probeTCPConnected: "TCP kết nối được", .probeTCPConnectedShort: "TCP",
    .probeTCPRefused: "TCP bị từ chối (máy bật, cổng đóng)", .probeTCPRefusedShort: "TCP bị từ chối",
    .probeICMPReply: "ICMP có phản hồi", .probeICMPReplyShort: "ICMP", .probeNoAnswer: "không trả lời",
    .probeUnreachable: "không tới được",
    .sourceUDP: "udp", .sourceFile: "tệp", .sourceManual: "người trực", .sourceProbe: "thăm dò", .detailSequence: "số thứ tự {0}",
    .detailSiteSays: "điểm cầu báo {0}", .reportedOK: "bình thường", .reportedHelp: "cần hỗ trợ",
    .refusedUnknownSite: "mã điểm cầu lạ", .refusedTooLarge: "quá lớn", .refusedMalformed: "sai định dạng",
    .demoBanner: "CHẠY THỬ · mô phỏng", .detailContact: "Liên hệ",
    .checkConfigOK: "cấu hình: {0}: hợp lệ", .checkSites: "{0} điểm cầu trong {1} đơn vị, quân số dự kiến {2}",
    .checkTiming: "thời gian: tín hiệu mỗi {0}, chậm sau {1}, mất kết nối sau {2}, trực tuyến lại sau {3}",
    .heartbeatsOne: "1 tín hiệu", .heartbeatsMany: "{0} tín hiệu liên tiếp",
    .checkUDP: "udp: nghe tại {0}, xác thực {1}, {2}/{3} điểm cầu có khóa", .authRequired: "bắt buộc",
    .authOptional: "không bắt buộc", .checkHeartbeatFiles: "thư mục tệp tín hiệu: {0}", .checkJournal: "nhật ký: {0}",
    .checkConsoles: "socket màn hình điều khiển: {0} (tối đa {1} màn hình{2})", .checkReadOnlyFor: "; chỉ xem: {0}",
    .checkProbes: "thăm dò: {0} điểm cầu ({1}), mỗi {2}, chờ tối đa {3}, tối đa {4} lần/giây",
    .checkMetrics: "số liệu Prometheus: http://{0}/metrics{1}", .checkMetricsPerSite: ", có số liệu từng điểm cầu",
    .checkMetricsOff: "số liệu Prometheus: tắt (metrics.listen)", .checkStatusFile: "tệp trạng thái: {0}", .checkGroups: "đơn vị:",
    .checkGroupLine: "{0}  {1} điểm cầu, dự kiến {2}", .checkWarning: "cảnh báo: {0}",
    .statusMonitor: "{0}: máy giám sát pid {1}, socket {2}",
    .statusSites: "điểm cầu: {0} · trực tuyến {1} · chậm {2} · mất kết nối {3} · đã đánh dấu {4} · chưa rõ {5}",
    .statusAttendance: "quân số: {0} / {1}", .statusAlerts: "cảnh báo: {0} chưa xác nhận · cần hỗ trợ {1} · chập chờn {2}",
    .statusClaimed: "đang có người xử lý: {0} điểm cầu", .statusConsoles: "màn hình đang kết nối: {0}",
    .statusConsoleReadOnly: ", chỉ xem", .statusConsoleGroup: ", đơn vị {0}", .statusConsoleSince: ", từ {0}",
    .statusReplaced: "ĐÃ BỊ THAY THẾ: máy dự phòng {0} đã được nâng lên lúc {1}; thao tác ở đây bị từ chối",
    .statusPromoted: "vai trò: máy chính, nâng lên từ dự phòng lúc {0}", .statusStandbyOf: "vai trò: DỰ PHÒNG của {0}",
    .statusPrimarySilent: " · MÁY CHÍNH IM LẶNG từ {0}; nếu máy chính hỏng: {1}",
    .statusPrimaryLastHeard: " · máy chính liên lạc lần cuối {0}", .statusLink: " · đường liên kết: {0}",
    .statusProblems: "cần gọi (mất kết nối, chậm, cần hỗ trợ):",
    .statusProblemsMore: "  và {0} điểm cầu nữa (phím ! trên màn hình giám sát liệt kê đủ)", .statusContact: "liên hệ {0}",
    .statusNoMonitor: "không có máy giám sát nào đang chạy ở {0}",
    .agentSending: "đang gửi tín hiệu của {0} tới {1} mỗi {2}{3}", .agentSigned: ", có ký", .agentUnsigned: ", không ký",
    .agentAnd: " và ", .agentOr: " hoặc ", .agentConnected: "{0}đã kết nối: máy giám sát xác nhận số thứ tự {1} (rtt {2} ms)",
    .agentNoAck: "{0}không có xác nhận trong {1} giây; vẫn gửi mỗi {2}",
    .agentAcksBack: "{0}có xác nhận trở lại sau {1} giây (rtt {2} ms)",
    .agentNoMonitorAcks: "KHÔNG máy giám sát nào còn xác nhận; vẫn gửi tới tất cả",
    .agentHeardAgain: "ít nhất một máy giám sát đã xác nhận trở lại",
    .agentNoAnswerYet:
      "chưa có trả lời từ {0} sau {1} giây (đã gửi {2} tín hiệu); kiểm tra địa chỉ và cổng của máy giám sát, tường lửa, và mã điểm cầu, khóa có khớp cấu hình của máy giám sát",
    .agentRetrying: "{0}; thử lại mỗi {1}", .agentCannotSend: "không gửi được tới {0}: {1}; thử lại mỗi {2}",
    .agentKeepingFile: "đang cập nhật {0} cho {1} mỗi {2}{3}", .agentWritingAgain: "đã ghi được {0} trở lại",
    .agentCannotWrite: "không ghi được {0}; thử lại mỗi {1}", .agentWrittenAgo: "đã ghi {0} giây trước",
    .agentHeadcount: "quân số {0}", .agentSequence: "số thứ tự {0}", .agentWaitingFirstAck: "đang chờ xác nhận đầu tiên (đã gửi {0})",
    .agentLineConnected: "đã kết nối, xác nhận cuối {0} giây trước, rtt {1} ms",
    .agentLineNoAck: "KHÔNG CÓ XÁC NHẬN trong {0} giây, vẫn gửi mỗi {1}",
    .agentStopped: "đã dừng sau {0} tín hiệu, {1} được xác nhận", .agentCountFileProblem: "tệp quân số {0}: {1}{2}",
    .countRule: "một số nguyên từ 0 đến {0} (hàng nghìn viết 1.234, 1,234 hoặc 1 234)",
    .countNotText: "cần {0}, nhưng tệp không phải văn bản", .countEmpty: "cần {0}, nhưng tệp trống",
    .countSeveralLines: "cần {0} trên một dòng, nhưng tệp có nhiều dòng", .countNotANumber: "cần {0}, nhưng gặp '{1}'",
    .countTooLarge: "cần {0}, nhưng gặp {1}",
    .agentCountFileNotSmall: "tệp quân số {0}: không phải tệp văn bản nhỏ{1}", .agentHeadcountChanged: "quân số {0} → {1} (từ {2})",
    .agentNoHeadcount: "chưa có", .agentStillReporting: "; vẫn báo {0}", .agentSendingWithoutCount: "; gửi không kèm quân số",
    .keyFileUnreadable: "không đọc được tệp khóa {0} ({1})", .keyFileEmpty: "{0}:1: tệp khóa trống",
    .keyFileOneLine: "{0}:2: tệp khóa chỉ được có một dòng, là khóa bí mật của điểm cầu",
    .keyFileReadableByOthers: "cảnh báo: người dùng khác đọc được {0} (quyền {1}); hãy chạy chmod 600",
    .fileMissing: "không có tệp này", .fileIsDirectory: "đây là thư mục", .filePermissionDenied: "không có quyền đọc",
    .fileReadFailed: "đọc lỗi",
    .sendSent: "đã gửi tới {0}: {1}", .sendAck: "xác nhận{0}: {1} (rtt {2} ms)", .sendFrom: " từ {0}",
    .sendNoAck:
      "không có xác nhận{0} trong {1}: sai địa chỉ hoặc cổng, đường truyền bị chặn, hoặc máy giám sát từ chối tín hiệu (mã điểm cầu không có trong cấu hình: mã phân biệt chữ hoa, chữ thường; thiếu hoặc sai khóa; đồng hồ lệch quá 2 phút); nhật ký của máy giám sát ghi rõ lý do, kèm mã nó nhận được",
    .sendPortClosed:
      "{0}: máy đích báo không có chương trình nào nghe ở cổng UDP này: kiểm tra cổng của máy giám sát (udp.listen trong cấu hình) và máy giám sát có đang chạy",
  ]
}
