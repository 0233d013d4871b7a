import BridgeCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// `GET /metrics` over HTTP/1.1 (SwiftNIO's parser and encoder), on an event loop of its own: a slow or hostile
/// client costs this thread and at most one connection slot, never the ingest loop, the journal or the consoles.
///
/// Bounds: at most `maximumConnections` at once (a new one evicts the oldest that has not finished sending a
/// request, so a slowloris cannot lock Prometheus out); a request must arrive whole within `requestDeadline` of
/// the connection opening or of the previous answer; an answer not taken by the client within `writeDeadline` is
/// dropped with its connection; request heads are limited to a few kilobytes and anything unparsable is answered
/// 400 and closed. A request body is never read: a request that announces one is answered at its head and its
/// connection closed. Request targets in origin form (`/metrics`) and absolute form (`http://host/metrics`) are
/// served; any method but GET and HEAD is 405, CONNECT and `OPTIONS *` included.
public final class MetricsServer: Sendable {
  public struct Limits: Sendable {
    public var maximumConnections = 16
    public var requestDeadline = TimeAmount.seconds(10)
    public var writeDeadline = TimeAmount.seconds(30)
    /// The request line and each header line; the whole head is limited to twice this.
    public var maximumHeaderBytes = 8192
    public init() {}
  }

  private let exporter: MetricsExporter
  private let logger: Logger
  private let limits: Limits
  private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
  private let channel = Mutex<(any Channel)?>(nil)
  private let connections: ConnectionTable

  public init(exporter: MetricsExporter, logger: Logger, limits: Limits = Limits()) {
    self.exporter = exporter
    self.logger = logger
    self.limits = limits
    connections = ConnectionTable(limit: limits.maximumConnections)
  }

  /// Binds `host:port` (port 0 picks one) and serves until `stop`. Returns the bound address.
  public func start(host: String, port: Int) async throws -> SocketAddress {
    let exporter = self.exporter
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
            MetricsHTTPHandler(exporter: exporter, limits: limits, connections: connections, id: id, logger: logger))
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

/// One connection: answers each request as it completes, closes what overstays.
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let exporter: MetricsExporter
  private let limits: MetricsServer.Limits
  private let connections: ConnectionTable
  private let id: Int
  private let logger: Logger
  private var request: HTTPRequestHead?
  private var deadline: Scheduled<Void>?

  init(exporter: MetricsExporter, limits: MetricsServer.Limits, connections: ConnectionTable, id: Int, logger: Logger) {
    self.exporter = exporter
    self.limits = limits
    self.connections = connections
    self.id = id
    self.logger = logger
  }

  func handlerAdded(context: ChannelHandlerContext) { armDeadline(context, limits.requestDeadline) }

  func channelInactive(context: ChannelHandlerContext) {
    deadline?.cancel()
    connections.remove(id)
    context.fireChannelInactive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      connections.setBusy(id, true)
      // Nothing here needs a request's body: one that is announced (an `Expect: 100-continue` client waits to be
      // told to send it; a slow one trickles it) is not waited for. The answer goes at once and the connection
      // closes after it, so the unread body is never taken for a next request. CONNECT would turn the connection
      // into a tunnel, and a head with two Hosts is malformed (RFC 9112 3.2): both are answered at once and closed.
      if head.method == .CONNECT || Self.hostProblem(head) != nil || Self.announcesBody(head) {
        respond(to: head, context: context, closing: true)
      } else {
        request = head
      }
    case .body:
      break  // never read: a request with a body was answered at its head
    case .end:
      guard let head = request else { return }
      request = nil
      respond(to: head, context: context, closing: false)
    }
  }

  /// Why the request's Host header fields are wrong (RFC 9112 3.2: exactly one in HTTP/1.1, at most one before),
  /// or nil.
  static func hostProblem(_ head: HTTPRequestHead) -> String? {
    let hosts = head.headers["Host"]
    if hosts.count > 1 { return "more than one Host header\n" }
    if hosts.isEmpty && head.version != .http1_0 && head.version != .http0_9 { return "an HTTP/1.1 request needs a Host header\n" }
    return nil
  }

  /// Whether the head says a body follows (a length other than 0, or a transfer coding).
  static func announcesBody(_ head: HTTPRequestHead) -> Bool {
    if !head.headers["Transfer-Encoding"].isEmpty { return true }
    return head.headers["Content-Length"].contains { $0.trimmingCharacters(in: .whitespaces) != "0" }
  }

  /// The path of a request target in origin form (`/metrics?x`) or absolute form (`http://host/metrics?x`, which
  /// RFC 9112 3.2.2 says a server must accept), without its query; nil for the asterisk and authority forms.
  static func path(of target: String) -> Substring? {
    var rest = Substring(target)
    for scheme in ["http://", "https://"] where rest.lowercased().hasPrefix(scheme) {
      rest = rest.dropFirst(scheme.count)
      guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
      rest = rest[slash...]
      if rest.first == "?" { return "/" }
      break
    }
    guard rest.first == "/" else { return nil }
    return rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // HTTPServerProtocolErrorHandler has answered 400 to a parse error; anything else ends the connection too.
    context.close(promise: nil)
  }

  private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext, closing: Bool) {
    var headers = HTTPHeaders()
    let status: HTTPResponseStatus
    var body: ByteBuffer
    var keepAlive = head.isKeepAlive && !closing
    if let problem = Self.hostProblem(head) {
      status = .badRequest
      body = ByteBuffer(string: problem)
      headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
      keepAlive = false
    } else if head.method != .GET && head.method != .HEAD {
      // Whatever the target (`OPTIONS *`, `CONNECT host:443`): this server has no other method anywhere.
      status = .methodNotAllowed
      body = ByteBuffer(string: "only GET and HEAD\n")
      headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
      headers.add(name: "Allow", value: "GET, HEAD")
      keepAlive = false  // its body may still be coming
    } else if Self.path(of: head.uri) != "/metrics" {
      status = .notFound
      body = ByteBuffer(string: "not found: the metrics are at /metrics\n")
      headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
    } else {
      status = .ok
      body = exporter.render()
      headers.add(name: "Content-Type", value: MetricsExporter.contentType)
    }
    headers.add(name: "Content-Length", value: String(body.readableBytes))
    if !keepAlive { headers.add(name: "Connection", value: "close") }
    deadline?.cancel()
    context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
    if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
    // A client that does not take its answer in time loses the connection (and the buffer it pins).
    armDeadline(context, limits.writeDeadline)
    let written = context.eventLoop.makePromise(of: Void.self)
    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
    let staysOpen = keepAlive
    written.futureResult.whenComplete { result in
      let (handler, context) = loopBound.value
      guard case .success = result, staysOpen else {
        context.close(promise: nil)
        return
      }
      handler.connections.setBusy(handler.id, false)
      handler.armDeadline(context, handler.limits.requestDeadline)
    }
  }

  private func armDeadline(_ context: ChannelHandlerContext, _ amount: TimeAmount) {
    deadline?.cancel()
    let channel = context.channel
    deadline = context.eventLoop.scheduleTask(in: amount) { channel.close(promise: nil) }
  }
}
