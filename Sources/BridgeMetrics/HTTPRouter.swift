import BridgeCore
import BridgeMonitor
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The HTTP server's routes, ours and small (three: a framework would bring a dependency tree for them; see
/// docs/ARCHITECTURE.md): `/metrics` (GET, HEAD) and, when the check-in page is on, `/c/<token>` (GET, HEAD, POST).
struct HTTPRouter: Sendable {
  enum Route: Equatable {
    case metrics
    case checkin(token: Substring)
    case none

    /// The methods the route takes.
    var allowed: [HTTPMethod] {
      switch self {
      case .metrics, .none: [.GET, .HEAD]
      case .checkin: [.GET, .HEAD, .POST]
      }
    }
  }

  /// An answer: status, headers beyond the length, body.
  struct Answer {
    var status: HTTPResponseStatus
    var headers: [(String, String)]
    var body: ByteBuffer
  }

  let exporter: MetricsExporter
  let checkin: CheckinInput?

  /// The route of a request target (`/c/<token>?lang=en`), with the page's language (`lang=en`, else Vietnamese).
  func route(_ target: String) -> Route {
    guard let path = HTTPConnectionHandler.path(of: target) else { return .none }
    if path == "/metrics" { return .metrics }
    if checkin != nil, path.hasPrefix("/c/") {
      let token = path.dropFirst(3)
      if !token.isEmpty, !token.contains("/") { return .checkin(token: token) }
    }
    return .none
  }

  static func language(of target: String) -> Language {
    guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return .vi }
    return query.split(separator: "&").contains("lang=en") ? .en : .vi
  }

  func answer(_ head: HTTPRequestHead, body: [UInt8]) -> Answer {
    let route = route(head.uri)
    switch route {
    case .metrics:
      return Answer(status: .ok, headers: [("Content-Type", MetricsExporter.contentType)], body: exporter.render())
    case .checkin(let token):
      guard let checkin else { return Self.notFound }
      let language = Self.language(of: head.uri)
      let page =
        head.method == .POST
        ? checkin.submit(token: token, language: language, body: body) : checkin.page(token: token, language: language)
      return Self.htmlAnswer(page)
    case .none:
      return Self.notFound
    }
  }

  /// The answer to a check-in body over the cap.
  func tooLarge(_ head: HTTPRequestHead) -> Answer {
    guard let checkin else { return Self.notFound }
    return Self.htmlAnswer(checkin.refuseTooLarge(language: Self.language(of: head.uri)))
  }

  static let notFound = Answer(
    status: .notFound, headers: [("Content-Type", "text/plain; charset=utf-8")],
    body: ByteBuffer(string: "not found: the metrics are at /metrics\n"))

  /// A check-in page: never cached or framed, no referrer (the link's token must not leak), no script or outside
  /// resource allowed, forms posted only here.
  static func htmlAnswer(_ page: CheckinInput.Answer) -> Answer {
    var headers = [
      ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer"),
      ("X-Content-Type-Options", "nosniff"),
      ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    ]
    if let seconds = page.retryAfterSeconds { headers.append(("Retry-After", String(seconds))) }
    return Answer(status: HTTPResponseStatus(statusCode: page.status), headers: headers, body: ByteBuffer(string: page.html))
  }
}

/// One connection: answers each request as it completes, closes what overstays.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let router: HTTPRouter
  private let limits: MonitorHTTPServer.Limits
  private let connections: ConnectionTable
  private let id: Int
  private let logger: Logger
  private var request: HTTPRequestHead?
  /// The body of a check-in POST under way (nil: none is read).
  private var body: [UInt8]?
  private var deadline: Scheduled<Void>?

  init(router: HTTPRouter, limits: MonitorHTTPServer.Limits, connections: ConnectionTable, id: Int, logger: Logger) {
    self.router = router
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
      let takesBody = head.method == .POST && { if case .checkin = router.route(head.uri) { true } else { false } }()
      if takesBody, Self.hostProblem(head) == nil {
        // A check-in form: its body is read, up to the cap; one announced larger is refused at its head.
        if let length = Self.contentLength(head), length > CheckinForm.maximumBodyBytes {
          send(router.tooLarge(head), for: head, context: context, closing: true)
        } else {
          request = head
          body = []
        }
        return
      }
      // Nothing else needs a request's body: one that is announced (an `Expect: 100-continue` client waits to be
      // told to send it; a slow one trickles it) is not waited for. The answer goes at once and the connection
      // closes after it, so the unread body is never taken for a next request. CONNECT would turn the connection
      // into a tunnel, and a head with two Hosts is malformed (RFC 9112 3.2): both are answered at once and closed.
      if head.method == .CONNECT || Self.hostProblem(head) != nil || Self.announcesBody(head) {
        respond(to: head, context: context, closing: true)
      } else {
        request = head
      }
    case .body(var chunk):
      guard let head = request, body != nil else { break }  // never read: a request with a body was answered at its head
      if body!.count + chunk.readableBytes > CheckinForm.maximumBodyBytes {
        request = nil
        body = nil
        send(router.tooLarge(head), for: head, context: context, closing: true)
        return
      }
      body! += chunk.readBytes(length: chunk.readableBytes) ?? []
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

  /// The announced Content-Length, if there is one number.
  static func contentLength(_ head: HTTPRequestHead) -> Int? {
    head.headers["Content-Length"].first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
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
    let route = router.route(head.uri)
    let requestBody = body ?? []
    body = nil
    if let problem = Self.hostProblem(head) {
      let answer = HTTPRouter.Answer(
        status: .badRequest, headers: [("Content-Type", "text/plain; charset=utf-8")], body: ByteBuffer(string: problem))
      send(answer, for: head, context: context, closing: true)
    } else if !route.allowed.contains(head.method) {
      // Whatever the target (`OPTIONS *`, `CONNECT host:443`): the route takes no other method.
      let allowed = route.allowed.map(\.rawValue).joined(separator: ", ")
      let answer = HTTPRouter.Answer(
        status: .methodNotAllowed, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Allow", allowed)],
        body: ByteBuffer(string: "only \(Self.listed(route.allowed.map(\.rawValue)))\n"))
      send(answer, for: head, context: context, closing: true)  // its body may still be coming
    } else {
      send(router.answer(head, body: requestBody), for: head, context: context, closing: closing)
    }
  }

  /// "GET and HEAD", "GET, HEAD and POST".
  static func listed(_ words: [String]) -> String {
    words.count < 2 ? words.joined() : words.dropLast().joined(separator: ", ") + " and " + words.last!
  }

  private func send(_ answer: HTTPRouter.Answer, for head: HTTPRequestHead, context: ChannelHandlerContext, closing: Bool) {
    var headers = HTTPHeaders(answer.headers)
    let keepAlive = head.isKeepAlive && !closing
    headers.add(name: "Content-Length", value: String(answer.body.readableBytes))
    if !keepAlive { headers.add(name: "Connection", value: "close") }
    deadline?.cancel()
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))), promise: nil)
    if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil) }
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
