import BridgeCore
import Foundation
import TestSupport
import Testing

/// Every command a person reads speaks Vietnamese with `--lang vi` (or a `vi_VN` locale): no English word of the
/// strings table is left in what the real binary prints.
@Suite(.serialized) struct LanguageEndToEndTests {
  /// The words any command could print in English, less those Vietnamese uses too; `ack` is the `BW1 ack`
  /// datagram's own word, which `send` prints as it came, and `send` the command's name in "bridgewatch send: ...".
  static let leftovers = EnglishLeftovers(
    english: Array(Strings.table(.en).values), vietnamese: Array(Strings.table(.vi).values), allowed: ["ack", "send"])

  static let config = """
    title: "Hội nghị thử"
    timing:
      interval: 1s
      late_after: 2s
      offline_after: 4s
    status_file: status.json
    keys: keys.yaml
    sites:
      - {id: HB-TU, name: "Tỉnh ủy Hòa Bình", group: "Hòa Bình", expected: 150, contact: "Anh Tuấn 0912 345 678"}
      - {id: HB-DB-TULY, name: "Xã Tú Lý", group: "Hòa Bình / Đà Bắc", expected: 45}
    """
  static let keys = ["keys.yaml": "HB-TU: \"hall-secret\"\n"]

  @Test func checkSpeaksVietnameseByFlagAndByLocale() throws {
    let flagged = try Binary.run(["check", Repository.path("examples/hoa-binh.yaml"), "--lang", "vi"])
    #expect(flagged.status == 0, "\(flagged.stderr)")
    #expect(flagged.stdout.contains("61 điểm cầu trong 11 đơn vị, quân số dự kiến 3.702"), "\(flagged.stdout)")
    #expect(Self.leftovers.find(in: flagged.stdout).isEmpty, "\(Self.leftovers.find(in: flagged.stdout))\n\(flagged.stdout)")
    let byLocale = try Binary.run(
      ["check", Repository.path("examples/hoa-binh.yaml")], environment: ["LC_ALL": "", "LC_MESSAGES": "", "LANG": "vi_VN.UTF-8"])
    #expect(byLocale.stdout == flagged.stdout)
    let english = try Binary.run(
      ["check", Repository.path("examples/hoa-binh.yaml"), "--lang", "en"], environment: ["LANG": "vi_VN.UTF-8"])
    #expect(english.stdout.contains("61 bridge points in 11 groups"))
  }

  @Test func checkSaysEverySectionInVietnamese() throws {
    let folder = try makeScratchDirectory("bw-lang-check")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try """
    title: "Hội nghị thử"
    status_file: status.json
    console:
      read_only_users: [phonghop]
    metrics:
      listen: 127.0.0.1:9740
      per_site: true
    sites:
      - {id: A, name: "Điểm A", group: "Hòa Bình", expected: 10, probe: "sip://127.0.0.1"}
      - {id: B, name: "Điểm B", group: "Hòa Bình / Đà Bắc", expected: 1, probe: "tcp://127.0.0.1:1720"}
    """.write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    let result = try Binary.run(["check", folder + "/c.yaml", "--lang", "vi"])
    #expect(result.status == 0, "\(result.stderr)")
    for line in [
      "thăm dò: 2 điểm cầu (1 sip, 1 tcp)", "có số liệu từng điểm cầu", "chỉ xem: phonghop", "tệp trạng thái: ", "2 tín hiệu liên tiếp",
    ] {
      #expect(result.stdout.contains(line), "\(line) in \(result.stdout)")
    }
    #expect(Self.leftovers.find(in: result.stdout).isEmpty, "\(Self.leftovers.find(in: result.stdout))\n\(result.stdout)")
  }

  /// The keys file's problems follow `--lang` too (issue 32 review): the real `check` says them in Vietnamese.
  @Test func checkSaysTheKeysFilesProblemsInVietnamese() throws {
    let folder = try makeScratchDirectory("bw-lang-keys")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.config.write(toFile: folder + "/c.yaml", atomically: true, encoding: .utf8)
    try "HB-XX: \"a-secret-of-enough-bytes\"\n".write(toFile: folder + "/keys.yaml", atomically: true, encoding: .utf8)
    chmod(folder + "/keys.yaml", 0o600)
    let vietnamese = try Binary.run(["check", folder + "/c.yaml", "--lang", "vi"])
    #expect(vietnamese.status == 1)
    #expect(
      vietnamese.stderr.contains("keys.yaml:1") && vietnamese.stderr.contains("khóa cho điểm cầu 'HB-XX' không có trong cấu hình"),
      "\(vietnamese.stderr)")
    let english = try Binary.run(["check", folder + "/c.yaml", "--lang", "en"], environment: ["LANG": "vi_VN.UTF-8"])
    #expect(english.stderr.contains("key for unknown site 'HB-XX' (not in the config)"), "\(english.stderr)")
  }

  @Test func statusSpeaksVietnameseAndNamesWhomToCall() throws {
    let monitor = try HeadlessMonitor(config: Self.config, files: Self.keys)
    defer { _ = monitor.stop() }
    let folder = try makeScratchDirectory("bw-lang")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "hall-secret\n".write(toFile: folder + "/hall.key", atomically: true, encoding: .utf8)
    chmod(folder + "/hall.key", 0o600)
    let sent = try Binary.run([
      "send", "--site", "HB-TU", "--monitor", "127.0.0.1:\(monitor.port)", "--key-file", folder + "/hall.key", "--count", "120",
    ])
    #expect(sent.status == 0, "\(sent.stdout)\(sent.stderr)")
    // Heard once, then silent: late after 2 s, a site to call.
    let late = monitor.waitForStatus { json in monitor.site("HB-TU", in: json)?["status"] as? String == "late" }
    #expect(monitor.site("HB-TU", in: try #require(late))?["contact"] as? String == "Anh Tuấn 0912 345 678")
    let status = try Binary.run(["status", monitor.directory + "/conference.yaml", "--lang", "vi"])
    #expect(status.status == 0, "\(status.stderr)")
    #expect(status.stdout.contains("quân số: 120 / 195"), "\(status.stdout)")
    #expect(status.stdout.contains("HB-TU  Tỉnh ủy Hòa Bình: chậm · liên hệ Anh Tuấn 0912 345 678"), "\(status.stdout)")
    #expect(Self.leftovers.find(in: status.stdout).isEmpty, "\(Self.leftovers.find(in: status.stdout))\n\(status.stdout)")
    let none = try Binary.run(["status", "--socket", monitor.directory + "/nothing.sock", "--lang", "vi"])
    #expect(none.status == 3 && none.stderr.contains("không có máy giám sát nào đang chạy ở"), "\(none.stderr)")
    #expect(Self.leftovers.find(in: none.stderr).isEmpty, "\(none.stderr)")
    let english = try Binary.run(["status", monitor.directory + "/conference.yaml", "--lang", "en"])
    #expect(english.stdout.contains("HB-TU  Tỉnh ủy Hòa Bình: late · contact Anh Tuấn 0912 345 678"), "\(english.stdout)")
  }

  @Test func sendSpeaksVietnameseAndTellsAClosedPortFromASilentMonitor() throws {
    let monitor = try HeadlessMonitor(config: Self.config, files: Self.keys)
    defer { _ = monitor.stop() }
    let address = "127.0.0.1:\(monitor.port)"
    let acked = try Binary.run(["send", "--site", "HB-DB-TULY", "--monitor", address, "--lang", "vi"])
    #expect(acked.status == 0)
    #expect(acked.stdout.contains("xác nhận: BW1 ack site=HB-DB-TULY seq=1 (rtt "), "\(acked.stdout)")
    // Unsigned for a site with a key: rejected, and the monitor stays silent.
    let rejected = try Binary.run(["send", "--site", "HB-TU", "--monitor", address, "--timeout", "500ms", "--lang", "vi"])
    #expect(rejected.status == 1)
    #expect(rejected.stdout.contains("không có xác nhận trong 500ms"), "\(rejected.stdout)")
    // Nothing listens on that port: the host says so at once, and `send` says it, not "no ack".
    let closedPort = freeUDPPort()
    let closed = try Binary.run(["send", "--site", "HB-TU", "--monitor", "127.0.0.1:\(closedPort)", "--timeout", "5s", "--lang", "vi"])
    #expect(closed.status == 1)
    #expect(
      closed.stdout.contains("127.0.0.1:\(closedPort): máy đích báo không có chương trình nào nghe ở cổng UDP này"), "\(closed.stdout)")
    #expect(!closed.stdout.contains("không có xác nhận"))
    let closedInEnglish = try Binary.run(["send", "--site", "HB-TU", "--monitor", "127.0.0.1:\(closedPort)", "--lang", "en"])
    #expect(closedInEnglish.stdout.contains("no program listens on that UDP port"), "\(closedInEnglish.stdout)")
    // A key file the site's staff got wrong is said in their language too.
    let folder = try makeScratchDirectory("bw-lang-key")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "line one\nline two\n".write(toFile: folder + "/two-lines.key", atomically: true, encoding: .utf8)
    chmod(folder + "/two-lines.key", 0o644)
    let badKey = try Binary.run([
      "send", "--site", "HB-TU", "--monitor", address, "--key-file", folder + "/two-lines.key", "--lang", "vi",
    ])
    #expect(badKey.status == 2 && badKey.stderr.contains("tệp khóa chỉ được có một dòng"), "\(badKey.stderr)")
    let missing = try Binary.run(["send", "--site", "HB-TU", "--monitor", address, "--key-file", folder + "/none.key", "--lang", "vi"])
    #expect(missing.stderr.contains("không đọc được tệp khóa") && missing.stderr.contains("không có tệp này"), "\(missing.stderr)")
    for output in [acked.stdout, rejected.stdout, closed.stdout, badKey.stderr, missing.stderr] {
      #expect(Self.leftovers.find(in: output).isEmpty, "\(Self.leftovers.find(in: output))\n\(output)")
    }
  }

  @Test func agentSpeaksVietnamese() throws {
    let monitor = try HeadlessMonitor(config: Self.config, files: Self.keys)
    defer { _ = monitor.stop() }
    let agent = try BackgroundProcess([
      "agent", "--site", "HB-DB-TULY", "--monitor", "127.0.0.1:\(monitor.port)", "--interval", "200ms", "--count", "40", "--lang", "vi",
    ])
    #expect(agent.waitFor(seconds: 10) { $0.contains("đã kết nối: máy giám sát xác nhận") ? true : nil } == true, "\(agent.output)")
    _ = agent.stop()
    // No monitor at all: after three intervals the agent says what to check.
    let lonely = try BackgroundProcess([
      "agent", "--site", "HB-DB-TULY", "--monitor", "127.0.0.1:\(freeUDPPort())", "--interval", "200ms", "--lang", "vi",
    ])
    #expect(lonely.waitFor(seconds: 10) { $0.contains("chưa có trả lời từ") ? true : nil } == true, "\(lonely.output)")
    _ = lonely.stop()
    // Site staff type words into the count file: the agent says so in Vietnamese, with the rule.
    let folder = try makeScratchDirectory("bw-count-vi")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "148 người\n".write(toFile: folder + "/count.txt", atomically: true, encoding: .utf8)
    let typed = try BackgroundProcess([
      "agent", "--site", "HB-DB-TULY", "--monitor", "127.0.0.1:\(monitor.port)", "--interval", "200ms", "--lang", "vi",
      "--count-file", folder + "/count.txt",
    ])
    let refusal = "count.txt:1: cần một số nguyên từ 0 đến 1.000.000 (hàng nghìn viết 1.234, 1,234 hoặc 1 234), nhưng gặp '148 người'"
    #expect(typed.waitFor(seconds: 10) { $0.contains(refusal) ? true : nil } == true, "\(typed.output)")
    _ = typed.stop()
    for output in [agent.output, lonely.output, typed.output] {
      #expect(output.contains("đã dừng sau"), "\(output)")
      #expect(Self.leftovers.find(in: output).isEmpty, "\(Self.leftovers.find(in: output))\n\(output)")
    }
  }
}
