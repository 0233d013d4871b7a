import BridgeCore
import Foundation
import Logging
import NIOCore

/// The console thread reading what connections send and answering requests: a console's operator request or
/// promotion goes to the monitor without blocking this thread, and the answer comes back through the inbox.
extension ConsoleServerLoop {
  /// Reads what `connection` sent. `toTheEnd`: on past a short read, to see whether the peer also hung up (a
  /// few reads at most).
  func read(_ connection: ConsoleConnection, toTheEnd: Bool = false) {
    var chunk = [UInt8](repeating: 0, count: 16 * 1024)
    var reads = 0
    while true {
      reads += 1
      let count = chunk.withUnsafeMutableBytes { Glibc.read(connection.fd, $0.baseAddress, $0.count) }
      if count == 0 {
        if connection.closeWhenFlushed || connection.hello?.purpose == .status || connection.hello?.purpose == .peer {
          connection.readClosed = true
          return
        }
        drop(connection, reason: "closed by the console", level: .info)
        return
      }
      if count < 0 {
        if errno == EAGAIN || errno == EINTR { break }
        drop(connection, reason: "read failed: \(String(cString: strerror(errno)))", level: .notice)
        return
      }
      chunk.withUnsafeBytes { connection.framer.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
      do {
        while let line = try connection.framer.nextLine() {
          if connection.hello == nil, let version = ConsoleProtocol.otherVersion(line) {
            // Another version's hello may not parse as ours: answer with the version rather than "malformed".
            refuse(connection, Self.versionRefusal(theirs: version))
            return
          }
          try handle(try ConsoleProtocol.decode(line), from: connection)
          guard connections[connection.id] != nil else { return }
        }
      } catch {
        drop(connection, reason: "\(error)", level: .notice)
        return
      }
      if count < chunk.count && (!toTheEnd || reads >= 4) { break }
    }
  }

  func handle(_ message: ConsoleMessage, from connection: ConsoleConnection) throws(ConsoleProtocolError) {
    guard let hello = connection.hello else {
      guard case .hello(let hello) = message else { throw .malformed("expected hello first, got \(message.typeName)") }
      greet(connection, hello)
      return
    }
    guard hello.purpose == .console, !connection.closeWhenFlushed else {
      throw .malformed("\(message.typeName) from a \(hello.purpose.rawValue) connection")
    }
    switch message {
    case .promote(let promote):
      guard let who = actor(of: connection, answering: promote.id) else { return }
      logger.notice("promotion asked by \(connection.label)")
      // A promotion causes no engine event: its answer says only that it was done.
      answer(promote.id, to: connection, when: monitor.promote(by: who).map { nil })
    case .request(let request):
      guard let who = actor(of: connection, answering: request.id) else { return }
      answer(request.id, to: connection, when: monitor.applyAndPublish(request.request, by: who).map { $0 })
    case .show(let show):
      connection.detailSite = show.site.flatMap { siteIndex[$0] }
      connection.lastDetail = nil
      updateDetailRequests()
      monitor.requestPublish()
    case .resync:
      dropQueue(of: connection)
      connection.needsSnapshot = true
    default:
      throw .malformed("a console does not send \(message.typeName)")
    }
  }

  /// Who acts through this console, or nil (answered at once) when it is read-only.
  func actor(of connection: ConsoleConnection, answering id: Int) -> OperatorIdentity? {
    guard let hello = connection.hello, !hello.readOnly else {
      enqueue(.answer(ConsoleAnswer(id: id, outcome: .notAllowed("read-only console"))), to: connection)
      return nil
    }
    return OperatorIdentity(name: hello.operatorName, unixUser: connection.unixUser)
  }

  /// Answers request `id` when `result` completes: applied (with the events it caused, which the console words),
  /// refused with the engine's reason, applied but not yet saved, or not allowed (the monitor's role, a stop).
  func answer(_ id: Int, to connection: ConsoleConnection, when result: EventLoopFuture<[EngineEvent]?>) {
    let inbox = self.inbox
    let connectionID = connection.id
    result.whenComplete { result in
      let outcome: ConsoleAnswer.Outcome
      switch result {
      case .success(let events): outcome = .applied(events: events)
      case .failure(let refused as OperatorActionError): outcome = .refused(refused)
      case .failure(let unsaved as JournalNotSaved): outcome = .unsaved(unsaved.reason)
      case .failure(let error): outcome = .notAllowed("\(error)")
      }
      inbox.post(ConsoleAnswer(id: id, outcome: outcome), to: connectionID)
    }
  }
}
