import BridgeCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A bridge's push receiver (`events_listen`): an HTTP/1.1 server (SwiftNIO's parser and encoder) that takes the
/// bridge's POSTs and hands each body to `handle`, which answers once the events are applied under the monitor's
/// lock (200), refused (4xx with the reason) or not taken now (503). Every receiver shares one event loop thread
/// (`BridgeInput`): a slow or hostile client costs that thread a connection slot, never the polls or ingest.
///
/// Bounds: at most `maximumConnections` at once (more are closed at once); a request must arrive whole within
/// `requestDeadline` of the connection opening or of the previous answer; a body of at most
/// `BridgeEventLimits.maximumBodyBytes` (a larger one, announced or sent, is 413 and the connection closed); at most
/// `requestsPerSecond` requests a second on average with bursts of `burst` (more: 503, `Retry-After: 1`); request
/// heads of a few kilobytes (anything unparsable is 400 and closed); only POST (405 otherwise).
final class BridgeEventReceiver: Sendable {
  struct Limits: Sendable {
    var maximumConnections = 16
    var requestDeadline = TimeAmount.seconds(10)
    var maximumBodyBytes = BridgeEventLimits.maximumBodyBytes
    var requestsPerSecond = 200.0
    var burst = 400.0
  }

  /// What the receiver answers: a status and a line of text.
  struct Answer: Sendable {
    var status: HTTPResponseStatus
    var text: String
  }

  private let group: any EventLoopGroup
  private let limits: Limits
  private let handle: @Sendable ([UInt8]) -> Answer
  /// Called with a line for each request refused (4xx, 503): the input logs them, throttled.
  private let refused: @Sendable (Answer) -> Void
  private let channel = Mutex<(any Channel)?>(nil)
  private let connections = Atomic<Int>(0)
  private let bucket: Mutex<(tokens: Double, at: NIODeadline)>

  init(
    group: any EventLoopGroup, limits: Limits = Limits(), handle: @escaping @Sendable ([UInt8]) -> Answer,
    refused: @escaping @Sendable (Answer) -> Void
  ) {
    self.group = group
    self.limits = limits
    self.handle = handle
    self.refused = refused
    bucket = Mutex((limits.burst, .now()))
  }

  /// Binds `host:port` (port 0 picks one) and serves until `stop`; returns the bound port.
  func start(host: String, port: Int) async throws -> Int {
    let bound = try await ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 64)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { [self] channel in
        channel.eventLoop.makeCompletedFuture {
          guard connections.wrappingAdd(1, ordering: .relaxed).newValue <= limits.maximumConnections else {
            connections.subtract(1, ordering: .relaxed)
            channel.close(promise: nil)
            return
          }
          var decoder = NIOHTTPDecoderLimitConfiguration()
          decoder.maxHeaderFieldSize = 8192
          decoder.maxHeaderListSize = 16384
          decoder.maxHeaderFieldCount = 64
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withErrorHandling: true, withEncoderConfiguration: .init(),
            withDecoderLimitConfiguration: decoder)
          try channel.pipeline.syncOperations.addHandler(BridgeEventConnection(receiver: self))
        }
      }
      .bind(host: host, port: port).get()
    channel.withLock { $0 = bound }
    return bound.localAddress?.port ?? port
  }

  func stop() async {
    let bound = channel.withLock { channel in
      defer { channel = nil }
      return channel
    }
    try? await bound?.close()
  }

  fileprivate var requestDeadline: TimeAmount { limits.requestDeadline }
  fileprivate var maximumBodyBytes: Int { limits.maximumBodyBytes }

  fileprivate func connectionClosed() { connections.subtract(1, ordering: .relaxed) }

  /// Takes a token from the rate's bucket; false when it is empty.
  fileprivate func admitRequest() -> Bool {
    bucket.withLock { bucket in
      let now = NIODeadline.now()
      let elapsed = Double((now - bucket.at).nanoseconds) / 1e9
      bucket.tokens = min(limits.burst, bucket.tokens + elapsed * limits.requestsPerSecond)
      bucket.at = now
      guard bucket.tokens >= 1 else { return false }
      bucket.tokens -= 1
      return true
    }
  }

  fileprivate func answer(_ body: [UInt8]) -> Answer {
    guard admitRequest() else {
      let answer = Answer(status: .serviceUnavailable, text: "too many requests; the roster is polled again instead")
      refused(answer)
      return answer
    }
    let answer = handle(body)
    if answer.status != .ok { refused(answer) }
    return answer
  }

  fileprivate func note(_ answer: Answer) { refused(answer) }
}

/// One connection to a receiver: a request read whole (head, body within the cap, end), answered, and the next.
private final class BridgeEventConnection: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let receiver: BridgeEventReceiver
  private var request: HTTPRequestHead?
  private var body: [UInt8] = []
  private var deadline: Scheduled<Void>?

  init(receiver: BridgeEventReceiver) { self.receiver = receiver }

  func handlerAdded(context: ChannelHandlerContext) { armDeadline(context) }

  func channelInactive(context: ChannelHandlerContext) {
    deadline?.cancel()
    receiver.connectionClosed()
    context.fireChannelInactive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      guard head.method == .POST else {
        let answer = BridgeEventReceiver.Answer(status: .methodNotAllowed, text: "only POST: this is a bridge's event receiver")
        receiver.note(answer)
        send(answer, head, context, closing: true)
        return
      }
      let announced = head.headers["Content-Length"].first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
      if let announced, announced > receiver.maximumBodyBytes {
        send(tooLarge(), head, context, closing: true)
        return
      }
      request = head
      body = []
      // curl (Janus's sample handler) waits a second for this before sending a large body.
      if head.headers["Expect"].contains(where: { $0.lowercased() == "100-continue" }) {
        context.writeAndFlush(
          wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
      }
    case .body(var chunk):
      guard let head = request else { return }
      guard body.count + chunk.readableBytes <= receiver.maximumBodyBytes else {
        request = nil
        body = []
        send(tooLarge(), head, context, closing: true)
        return
      }
      body += chunk.readBytes(length: chunk.readableBytes) ?? []
    case .end:
      guard let head = request else { return }
      request = nil
      let taken = body
      body = []
      send(receiver.answer(taken), head, context, closing: false)
    }
  }

  private func tooLarge() -> BridgeEventReceiver.Answer {
    let answer = BridgeEventReceiver.Answer(
      status: .payloadTooLarge, text: "a body of at most \(receiver.maximumBodyBytes) bytes")
    receiver.note(answer)
    return answer
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // HTTPServerProtocolErrorHandler has answered 400 to a parse error; anything else ends the connection too.
    context.close(promise: nil)
  }

  private func send(
    _ answer: BridgeEventReceiver.Answer, _ head: HTTPRequestHead, _ context: ChannelHandlerContext, closing: Bool
  ) {
    let text = ByteBuffer(string: answer.text + "\n")
    var headers = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(text.readableBytes))])
    let keepAlive = head.isKeepAlive && !closing
    if !keepAlive { headers.add(name: "Connection", value: "close") }
    if answer.status == .serviceUnavailable { headers.add(name: "Retry-After", value: "1") }
    context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))), promise: nil)
    context.write(wrapOutboundOut(.body(.byteBuffer(text))), promise: nil)
    let written = context.eventLoop.makePromise(of: Void.self)
    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
    written.futureResult.whenComplete { result in
      let (handler, context) = loopBound.value
      guard case .success = result, keepAlive else {
        context.close(promise: nil)
        return
      }
      handler.armDeadline(context)
    }
  }

  /// A connection that brings no whole request within the deadline is closed.
  private func armDeadline(_ context: ChannelHandlerContext) {
    deadline?.cancel()
    let channel = context.channel
    deadline = context.eventLoop.scheduleTask(in: receiver.requestDeadline) { channel.close(promise: nil) }
  }
}
