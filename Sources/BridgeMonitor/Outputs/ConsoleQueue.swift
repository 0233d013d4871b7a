import BridgeCore
import Foundation
import Logging
import NIOCore
import Synchronization

/// A line waiting for a console, and what may become of it when the console does not read.
struct QueuedLine {
  enum Kind {
    /// A delta or a detail: dropped on overflow, the next snapshot replaces it.
    case update
    /// Dropped on overflow unless begun; a fresh one follows.
    case snapshot
    /// A welcome, an answer, a refusal: nothing replaces it, so it is never dropped.
    case reply
  }
  var bytes: [UInt8]
  var kind: Kind
}

/// The console thread writing to its consoles: each console's bounded queue, and what is dropped from it when
/// the console does not read.
extension ConsoleServerLoop {
  // MARK: Writing

  func enqueue(_ message: ConsoleMessage, to connection: ConsoleConnection) {
    let kind: QueuedLine.Kind =
      switch message {
      case .delta, .detail: .update
      case .snapshot: .snapshot
      default: .reply
      }
    enqueue(bytes: ConsoleProtocol.encode(message, rows: connection.readsRows), to: connection, kind: kind)
  }

  func enqueue(bytes: [UInt8], to connection: ConsoleConnection, kind: QueuedLine.Kind = .update) {
    guard !connection.isClosed else { return }
    let waiting = connection.queuedBytes[kind, default: 0]
    if kind == .reply && waiting > 0 && waiting + bytes.count > limits.queueBytes {
      // Requests sent without reading the answers (or a standby not reading its actions): nothing to replace them
      // with, and no bound otherwise. A standby that comes back asks from its position, or gets the whole state.
      // One reply alone is always taken: a welcome carries the roster's facts (over 4 MiB at 31,097 sites), and
      // the roster bounds it.
      let why = connection.hello?.purpose == .follow ? "it does not read what it is sent" : "it sends requests without reading the answers"
      drop(connection, reason: why, level: .notice)
      return
    }
    if kind == .update && waiting + bytes.count > limits.queueBytes && !connection.queue.isEmpty {
      // The console is not reading: what it missed is replaced by a snapshot when it reads again.
      dropQueue(of: connection)
      connection.needsSnapshot = true
      connection.overflows += 1
      if connection.overflows == 1 || connection.overflows % 100 == 0 {
        logger.notice(
          "console \(connection.label) is not reading; its queued updates were dropped (\(connection.overflows) time(s)), it gets a fresh snapshot when it reads again"
        )
      }
      return
    }
    connection.queue.append(QueuedLine(bytes: bytes, kind: kind))
    connection.queuedBytes[kind, default: 0] += bytes.count
  }

  /// Drops the updates and snapshots that wait, except a line already partly written (the console would read half
  /// a line); replies stay.
  func dropQueue(of connection: ConsoleConnection) {
    let begun = connection.headWritten > 0 ? connection.queue.first : nil
    let rest = connection.queue.dropFirst(begun == nil ? 0 : 1).filter { $0.kind == .reply }
    connection.queue = (begun.map { [$0] } ?? []) + rest
    if begun == nil { connection.headWritten = 0 }
    connection.queuedBytes = [:]
    for line in connection.queue { connection.queuedBytes[line.kind, default: 0] += line.bytes.count }
  }

  func flush(_ connection: ConsoleConnection) {
    guard !connection.isClosed else { return }
    while let head = connection.queue.first {
      let written = head.bytes.withUnsafeBytes { bytes in
        Glibc.send(connection.fd, bytes.baseAddress! + connection.headWritten, bytes.count - connection.headWritten, Int32(MSG_NOSIGNAL))
      }
      if written < 0 {
        if errno == EAGAIN || errno == EINTR { return }
        drop(connection, reason: "write failed: \(String(cString: strerror(errno)))", level: .info)
        return
      }
      connection.headWritten += written
      if connection.headWritten == head.bytes.count {
        connection.queue.removeFirst()
        connection.queuedBytes[head.kind, default: 0] -= head.bytes.count
        connection.headWritten = 0
      }
    }
    if connection.closeWhenFlushed {
      shutdown(connection.fd, Int32(SHUT_WR))
      drop(connection, reason: "done", level: .debug)
    }
  }
}
