import BridgeCore
import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import BridgeMonitor

/// Why a bridge's poll failed and what is wrong in the keys file, in the control room's language (issue 32
/// review): each text is in both tables, and the real client and loader say it in the language they are given.
@Suite struct BridgeProblemLanguageTests {
  static let keys: [TextKey] = [
    .httpHeaderNotOneLine, .httpNoAnswerWithin, .httpPollFailed, .httpCannotConnect, .httpNoAddress, .httpSendFailed,
    .httpAnswerTooLarge, .httpReadFailed, .httpClosedWithoutAnswer, .httpNotHTTP, .httpNotHTTPLine, .httpChunked, .httpBodyTooLarge,
    .hostDoesNotResolve, .hostResolveTimeout,
    .janusSessionGone, .janusCannotEncode, .janusNotJSON, .janusError, .janusNoReason, .janusUnexpected, .janusNoSessionID,
    .janusNoHandleID, .janusNoSession, .janusNoPluginData, .janusRefusedList, .janusNoParticipants, .janusNoRoster,
    .keysCannotRead, .keysReadableByOthers, .keysNotUTF8, .keysCannotParse, .keysNotMapping, .keysNotSiteID, .keysUnknownSiteID,
    .keysSecretShort, .keysTokenShared, .keysEntryBad, .keysNoSecret, .keysTokenBad, .keysPreviousEmpty, .keysPreviousUntilBad,
    .keysPreviousNeedsUntil, .keysUntilWithoutPrevious,
  ]

  static func placeholders(_ text: String) -> Set<String> {
    Set((0..<4).map { "{\($0)}" }.filter { text.contains($0) })
  }

  @Test func eachTextIsInBothLanguagesWithTheSamePlaceholders() {
    let english = Strings.table(.en)
    let vietnamese = Strings.table(.vi)
    for key in Self.keys {
      guard let en = english[key], let vi = vietnamese[key] else {
        Issue.record("\(key) is missing from a table")
        continue
      }
      #expect(!en.isEmpty && !vi.isEmpty && en != vi, "\(key): '\(en)' / '\(vi)'")
      #expect(Self.placeholders(en) == Self.placeholders(vi), "\(key): '\(en)' / '\(vi)'")
    }
  }

  /// A loopback port nothing listens on.
  static func closedPort() throws -> Int { try TCPTestListener(backlog: 1).closeAndKeepPort() }

  @Test func aBridgeThatCannotBeReachedIsSaidInEachLanguage() throws {
    let port = try Self.closedPort()
    let expected: [Language: String] = [.en: "cannot connect to 127.0.0.1:\(port)", .vi: "không kết nối được tới 127.0.0.1:\(port)"]
    for language in Language.allCases {
      let bridge = BridgeSettings(url: "", host: "127.0.0.1", port: port, path: "/janus", room: 1)
      var client = JanusRosterClient(bridge: bridge, timeout: .seconds(30), say: Strings(language))
      guard case .failed(let problem) = client.poll().outcome else {
        Issue.record("\(language): a closed port gave a roster")
        continue
      }
      #expect(problem.hasPrefix(expected[language]!), "\(language): \(problem)")
    }
  }

  @Test func aHostThatDoesNotResolveInTimeIsSaidInEachLanguage() throws {
    let release = DispatchSemaphore(value: 0)
    let hanging = HostResolver { _, _, _ in
      release.wait()
      return .failure(BridgeHTTPError("released"))
    }
    defer { for _ in 0..<4 { release.signal() } }
    let expected: [Language: String] = [
      .en: "bridge.invalid did not resolve within 300ms", .vi: "không phân giải được tên bridge.invalid trong 300ms",
    ]
    for language in Language.allCases {
      let client = BoundedHTTPClient(
        timeout: .milliseconds(300), maximumResponseBytes: 1024, resolver: hanging, say: Strings(language))
      do {
        _ = try client.get(host: "bridge.invalid", port: 80, path: "/")
        Issue.record("\(language): a host that never resolves gave an answer")
      } catch {
        #expect(error.description == expected[language]!, "\(language): \(error)")
      }
    }
  }

  @Test func whatIsNotAnHTTPAnswerIsSaidInEachLanguage() throws {
    let expected: [Language: String] = [.en: "not an HTTP answer: 'SSH-2.0'", .vi: "không phải câu trả lời HTTP: 'SSH-2.0'"]
    for language in Language.allCases {
      do {
        _ = try BoundedHTTPClient.parse(Array("SSH-2.0\r\n\r\n".utf8), maximumBody: 10, say: Strings(language))
        Issue.record("\(language): an SSH banner was taken for an answer")
      } catch {
        #expect(error.description == expected[language]!, "\(language): \(error)")
      }
    }
  }

  @Test func theKeysFilesProblemsAreSaidInEachLanguage() throws {
    let folder = NSTemporaryDirectory() + "bw-keys-lang-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/keys.yaml"
    try "HB-XX: \"a-secret-of-enough-bytes\"\n".write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o600)
    let sites = [SiteConfig(id: "HB-TU", name: "Tỉnh ủy", group: ["Hòa Bình"], expected: 10, heartbeatFile: "/x/HB-TU.hb")]
    let expected: [Language: String] = [
      .en: "key for unknown site 'HB-XX' (not in the config)", .vi: "khóa cho điểm cầu 'HB-XX' không có trong cấu hình",
    ]
    for language in Language.allCases {
      do {
        _ = try ConfigLoader.loadSiteKeys(path: path, sites: sites, mayBeMissing: false, language: language)
        Issue.record("\(language): a key for a site not in the config was taken")
      } catch {
        let lines = error.problems.map(\.description)
        #expect(lines.contains { $0.contains("keys.yaml:1") && $0.contains(expected[language]!) }, "\(language): \(lines)")
      }
    }
  }
}
