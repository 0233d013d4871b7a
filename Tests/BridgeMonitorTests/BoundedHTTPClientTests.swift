import BridgeCore
import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import BridgeMonitor

/// The bridge's HTTP door (issue 32): whatever a server at the bridge's address answers, or does not, the client
/// comes back with a body within its cap or a reason, never hangs past its deadline, and never grows.
@Suite struct BoundedHTTPClientTests {
  /// A one-connection server on loopback: reads the request's head, then writes `answer` (or nothing, holding the
  /// connection open while `hold`) and closes.
  final class ScriptedServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let thread: Thread

    init(answer: [UInt8]?, hold: Double = 0) throws {
      guard let (descriptor, port) = listenOnLoopback(backlog: 4) else { throw BridgeHTTPError("cannot listen") }
      listener = descriptor
      self.port = port
      thread = Thread {
        let connection = accept(descriptor, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while recv(connection, &byte, 1, 0) == 1 {
          head.append(byte)
          if head.suffix(4) == [13, 10, 13, 10] { break }
        }
        // The body too, as an HTTP server does: closing with it unread would reset the connection.
        let text = String(decoding: head, as: UTF8.self).lowercased()
        let length = text.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }.flatMap {
          Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        }
        for _ in 0..<(length ?? 0) where recv(connection, &byte, 1, 0) == 1 {}
        if let answer {
          var sent = 0
          while sent < answer.count {
            let result = answer.withUnsafeBytes { send(connection, $0.baseAddress! + sent, answer.count - sent, Int32(MSG_NOSIGNAL)) }
            if result <= 0 { break }
            sent += result
          }
        } else {
          Thread.sleep(forTimeInterval: hold)
        }
      }
      thread.start()
    }

    deinit { close(listener) }
  }

  func post(_ server: ScriptedServer, timeout: Duration = .seconds(10), cap: Int = 1024) -> Result<
    (status: Int, body: [UInt8]), BridgeHTTPError
  > {
    let client = BoundedHTTPClient(timeout: timeout, maximumResponseBytes: cap)
    do {
      return .success(try client.post(host: "127.0.0.1", port: server.port, path: "/janus", body: Array("{}".utf8)))
    } catch {
      return .failure(error)
    }
  }

  @Test func anAnswerWithinItsCapIsReadWholeAndCutToItsLength() throws {
    let server = try ScriptedServer(answer: Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more".utf8))
    let answer = try post(server).get()
    #expect(answer.status == 200)
    #expect(answer.body == Array("hello".utf8))
  }

  /// A bridge that closes before the body it announced (restarting, a cut link) gave no answer, not a short one.
  @Test func anAnswerCutShortOfItsLengthIsRefused() throws {
    let server = try ScriptedServer(answer: Array("HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n{\"partic".utf8))
    guard case .failure(let error) = post(server) else {
      Issue.record("8 bytes of an announced 100 were taken for an answer")
      return
    }
    #expect(error.description == "the answer was cut short: 8 of its 100 bytes came", "\(error)")
  }

  @Test func aBodyOverTheCapIsRefusedNotKept() throws {
    let body = [UInt8](repeating: UInt8(ascii: "x"), count: 200_000)
    let server = try ScriptedServer(answer: Array("HTTP/1.0 200 OK\r\n\r\n".utf8) + body)
    guard case .failure(let error) = post(server, cap: 1024) else {
      Issue.record("a 200 kB answer was taken with a 1 KiB cap")
      return
    }
    #expect(error.description.contains("larger than"), "\(error)")
  }

  @Test func aServerThatNeverAnswersIsLeftAtTheDeadline() throws {
    let server = try ScriptedServer(answer: nil, hold: 5)
    guard case .failure(let error) = post(server, timeout: .milliseconds(300)) else {
      Issue.record("a silent server gave an answer")
      return
    }
    #expect(error.description.contains("no answer within"), "\(error)")
  }

  /// A poll's requests share its deadline: a silence names the poll's whole timeout, not what was left of it, so
  /// the same silence is the same problem on every poll (not a new log line and status-file write each time).
  @Test func aSilenceNamesTheWholeTimeoutNotWhatWasLeft() throws {
    let server = try ScriptedServer(answer: nil, hold: 5)
    let client = BoundedHTTPClient(timeout: .milliseconds(200), maximumResponseBytes: 1024, statedTimeout: .seconds(10))
    do {
      _ = try client.post(host: "127.0.0.1", port: server.port, path: "/janus", body: Array("{}".utf8))
      Issue.record("a silent server gave an answer")
    } catch {
      #expect(error.description == "no answer within 10s", "\(error)")
    }
  }

  @Test func whatIsNotHTTPOrNotThereSaysSo() throws {
    let server = try ScriptedServer(answer: Array("SSH-2.0-OpenSSH_9.2\r\n\r\n".utf8))
    guard case .failure(let error) = post(server) else {
      Issue.record("an SSH banner was taken for an answer")
      return
    }
    #expect(error.description.hasPrefix("not an HTTP answer"), "\(error)")
    let closed = try ScriptedServer(answer: [])
    guard case .failure(let empty) = post(closed) else {
      Issue.record("an empty answer was taken")
      return
    }
    #expect(empty.description.contains("without an answer"), "\(empty)")
  }

  @Test func aJanusThatAnswersSomethingElseIsAFailedPollWithTheReason() throws {
    let server = try ScriptedServer(answer: Array("HTTP/1.0 502 Bad Gateway\r\n\r\n<html>proxy</html>".utf8))
    var client = JanusRosterClient(
      bridge: BridgeSettings(url: "", host: "127.0.0.1", port: server.port, path: "/janus", room: 1), timeout: .seconds(10))
    let (outcome, renewed) = client.poll()
    #expect(outcome == .failed(problem: "HTTP 502 with a body that is not a JSON object"))
    #expect(!renewed)
  }

  /// A DNS server that never answers: each kind's whole poll (lookup, connect, send, read) stays under its one
  /// deadline and comes back failed, naming the host, while the lookup is still stuck; later polls wait on that same
  /// lookup instead of starting another thread each.
  @Test func aResolverThatHangsDoesNotHoldAPollPastItsDeadline() throws {
    let release = DispatchSemaphore(value: 0)
    let lookups = Mutex<Int>(0)
    let hanging = HostResolver { _, _, _ in
      lookups.withLock { $0 += 1 }
      release.wait()
      return .failure(BridgeHTTPError("released"))
    }
    defer { for _ in 0..<8 { release.signal() } }
    let settings: [BridgeSettings] = [
      BridgeSettings(kind: .janus, url: "http://janus.local:8088/janus", host: "janus.local", port: 8088, path: "/janus", room: 1234),
      BridgeSettings(
        kind: .cms, url: "http://janus.local:8088/api/v1", host: "janus.local", port: 8088, path: "/api/v1", room: 0, conference: "c"),
      BridgeSettings(
        kind: .pexip, url: "http://janus.local:8088/api", host: "janus.local", port: 8088, path: "/api", room: 0, conference: "c"),
    ]
    for bridge in settings {
      let outcome = Mutex<BridgePollOutcome?>(nil)
      let thread = Thread {
        var client: BridgeRosterClient =
          switch bridge.kind {
          case .janus: .janus(JanusRosterClient(bridge: bridge, timeout: .milliseconds(300), resolver: hanging))
          case .cms: .cms(CMSRosterClient(bridge: bridge, timeout: .milliseconds(300), resolver: hanging))
          case .pexip: .pexip(PexipRosterClient(bridge: bridge, timeout: .milliseconds(300), resolver: hanging))
          }
        let result = client.poll().outcome
        outcome.withLock { $0 = result }
      }
      thread.start()
      // Generous: the deadline is 300 ms; without it the poll would wait for the lookup, which never ends here.
      let finished = eventually(timeout: .seconds(60)) { outcome.withLock { $0 } }
      guard case .failed(let problem) = finished else {
        Issue.record("\(bridge.kind): the poll did not come back: \(String(describing: finished))")
        return
      }
      #expect(problem.contains("janus.local"), "\(bridge.kind): \(problem)")
    }
    #expect(lookups.withLock { $0 } == 1)
  }
}
