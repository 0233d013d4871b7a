import BridgeCore
import BridgeMonitor
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The monitor's one HTTP server: `GET /metrics`, and the check-in page `GET`/`POST /c/<token>` when it is on
/// (`HTTPRouter`), over HTTP/1.1 (SwiftNIO's parser and encoder), on an event loop of its own: a slow or hostile
/// client costs this thread and at most one connection slot, never the ingest loop, the journal or the consoles.
///
/// Bounds: at most `maximumConnections` at once (a new one evicts the oldest that has not finished sending a
/// request, so a slowloris cannot lock Prometheus out); a request must arrive whole within `requestDeadline` of
/// the connection opening or of the previous answer; an answer not taken by the client within `writeDeadline` is
/// dropped with its connection; request heads are limited to a few kilobytes and anything unparsable is answered
/// 400 and closed. Only a check-in form's body is read, up to `CheckinForm.maximumBodyBytes` (more is 413 and the
/// connection closed); any other request that announces a body is answered at its head and its connection closed.
/// Request targets in origin form (`/metrics`) and absolute form (`http://host/metrics`) are served; a method a
/// route does not take is 405, CONNECT and `OPTIONS *` included.
public final class MonitorHTTPServer: Sendable {
  public struct Limits: Sendable {
    public var maximumConnections = 16
    public var requestDeadline = TimeAmount.seconds(10)
    public var writeDeadline = TimeAmount.seconds(30)
    /// The request line and each header line; the whole head is limited to twice this.
    public var maximumHeaderBytes = 8192
    public init() {}
  }

  private let router: HTTPRouter
  private let logger: Logger
  private let limits: Limits
  private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
  private let channel = Mutex<(any Channel)?>(nil)
  private let connections: ConnectionTable

  /// `checkin`: the check-in page's input, when the page is served.
  public init(exporter: MetricsExporter, checkin: CheckinInput? = nil, logger: Logger, limits: Limits = Limits()) {
    router = HTTPRouter(exporter: exporter, checkin: checkin)
    self.logger = logger
    self.limits = limits
    connections = ConnectionTable(limit: limits.maximumConnections)
  }

  /// Binds `host:port` (port 0 picks one) and serves until `stop`. Returns the bound address.
  public func start(host: String, port: Int) async throws -> SocketAddress {
    let router = self.router
    let limits = self.limits
    let connections = self.connections
    let logger = self.logger
    let decoderLimits = {
      var decoder = NIOHTTPDecoderLimitConfiguration()
      decoder.maxHeaderFieldSize = limits.maximumHeaderBytes
      decoder.maxHeaderListSize = limits.maximumHeaderBytes * 2
      decoder.maxHeaderFieldCount = 64
      return decoder
    }()
    let bound = try await ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 128)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          guard let id = connections.admit(channel) else {
            channel.close(promise: nil)
            return
          }
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withErrorHandling: true, withEncoderConfiguration: .init(),
            withDecoderLimitConfiguration: decoderLimits)
          try channel.pipeline.syncOperations.addHandler(
            HTTPConnectionHandler(router: router, limits: limits, connections: connections, id: id, logger: logger))
        }
      }
      .bind(host: host, port: port).get()
    channel.withLock { $0 = bound }
    return bound.localAddress!
  }

  /// Connections open now (tests).
  public var connectionCount: Int { connections.count }

  public func stop() async {
    let bound = channel.withLock { channel in
      defer { channel = nil }
      return channel
    }
    try? await bound?.close()
    try? await group.shutdownGracefully()
  }
}

/// The open connections, oldest first, with whether each is between requests (evictable).
final class ConnectionTable: Sendable {
  private struct Entry {
    var channel: any Channel
    var busy: Bool
  }
  private let limit: Int
  private let state = Mutex<(entries: [Int: Entry], order: [Int], nextID: Int)>(([:], [], 0))

  init(limit: Int) { self.limit = limit }

  var count: Int { state.withLock { $0.entries.count } }

  /// Makes room for `channel` by closing the oldest connection that is waiting for a request; nil when all are
  /// answering one (the new one is then refused).
  func admit(_ channel: any Channel) -> Int? {
    let (id, evicted): (Int?, (any Channel)?) = state.withLock { state in
      var evicted: (any Channel)?
      if state.entries.count >= limit {
        guard let oldest = state.order.first(where: { state.entries[$0]?.busy == false }) else { return (nil, nil) }
        evicted = state.entries.removeValue(forKey: oldest)?.channel
        state.order.removeAll { $0 == oldest }
      }
      let id = state.nextID
      state.nextID += 1
      state.entries[id] = Entry(channel: channel, busy: false)
      state.order.append(id)
      return (id, evicted)
    }
    evicted?.close(promise: nil)
    return id
  }

  func setBusy(_ id: Int, _ busy: Bool) { state.withLock { $0.entries[id]?.busy = busy } }

  func remove(_ id: Int) {
    state.withLock { state in
      if state.entries.removeValue(forKey: id) != nil { state.order.removeAll { $0 == id } }
    }
  }
}
