import BridgeCore
import CLinux
import Foundation
import Synchronization

/// Key to screen: the real dashboard (`bridgewatch run`) on a pseudo-terminal of 250x70 that this process holds,
/// a key written to it as a person types it, and the time until the dashboard's answer comes out of the terminal
/// (the bytes ncurses wrote, read as they come). The key is `?`, whose help overlay says "any key closes this
/// help", a text the dashboard shows nowhere else; a space closes it again. No tmux between: polling
/// `capture-pane` would cost milliseconds a look.
final class KeyToScreen: Sendable {
  /// What the terminal's output is searched for once a key is written.
  static let answer = Array("closes this help".utf8)

  let pid: pid_t
  private let master: Int32
  /// When the key was written, and when the answer was first seen after it (uptime seconds); the tail of the
  /// output read since the key, searched across reads.
  private struct Watch {
    var writtenAt: Double?
    var seenAt: Double?
    var tail: [UInt8] = []
    var sawAnything = false
  }
  private let watch = Mutex(Watch())
  private let reading = Atomic<Bool>(true)

  /// Starts `binary run config` on a new pseudo-terminal; `listen` is the UDP address it is to take.
  init(binary: String, config: String, listen: String) throws {
    var master: Int32 = -1
    var slave: Int32 = -1
    guard bw_open_pty(&master, &slave, 70, 250) == 0 else {
      throw BenchFailure("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
    }
    defer { close(slave) }
    self.master = master
    do {
      pid = try ChildProcess.spawn(
        binary, ["run", config, "--listen", listen, "--no-bell"], terminal: (slave, master),
        environment: ["TERM=xterm-256color", "LANG=C.UTF-8", "PATH=/usr/bin:/bin", "HOME=\(NSHomeDirectory())"])
    } catch {
      close(master)
      throw error
    }
    Thread { [self] in drain() }.start()
  }

  /// Reads the terminal's output until it closes, looking for the answer after each key.
  private func drain() {
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while reading.load(ordering: .relaxed) {
      let count = read(master, &buffer, buffer.count)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { break }
      let now = LoadBenchmark.now()
      watch.withLock { watch in
        watch.sawAnything = true
        guard watch.writtenAt != nil, watch.seenAt == nil else { return }
        watch.tail += buffer[0..<count]
        if Self.contains(watch.tail, Self.answer) {
          watch.seenAt = now
        } else if watch.tail.count > Self.answer.count {
          watch.tail.removeFirst(watch.tail.count - Self.answer.count)
        }
      }
    }
  }

  static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    haystack.count >= needle.count && haystack.firstRange(of: needle) != nil
  }

  /// Whether the dashboard has drawn anything yet.
  var hasDrawn: Bool { watch.withLock { $0.sawAnything } }

  private func type(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
  }

  /// One key to screen: `?` written, the seconds until the help overlay came out; nil if it did not within
  /// `timeout`. The overlay is closed again (a space) before returning.
  func measureOnce(timeout: Double = 5) -> Double? {
    watch.withLock {
      $0.tail = []
      $0.seenAt = nil
      $0.writtenAt = LoadBenchmark.now()
    }
    type("?")
    let start = LoadBenchmark.now()
    var seen: Double?
    while LoadBenchmark.now() - start < timeout {
      seen = watch.withLock { watch in watch.seenAt.map { $0 - watch.writtenAt! } }
      if seen != nil { break }
      usleep(200)
    }
    watch.withLock { $0.writtenAt = nil }
    type(" ")
    return seen
  }

  /// Stops the dashboard (as a signal stops it) and closes the terminal.
  func stop() {
    kill(pid, SIGTERM)
    _ = ChildProcess.wait(pid)
    reading.store(false, ordering: .relaxed)
    close(master)
  }
}
