import BridgeCore
import COpenSSL
import Glibc
import Synchronization

/// What a bridge's HTTPS trusts: the certificates of `ca_file` (a CA bundle, or a self-signed bridge's own
/// certificate), else the system's store (Debian's /etc/ssl/certs). Made once per bridge when its input starts, set up
/// whole before anything shares it.
public final class TLSClientContext: Sendable {
  /// OpenSSL's `SSL_CTX`. OpenSSL lets threads share one once it is set up; the lock is what lets the compiler check
  /// it (a pointer is not `Sendable`), held only while a session is made from it.
  private let context: Mutex<OpaquePointer>

  /// Fails with the file and OpenSSL's reason when the trusted certificates cannot be loaded.
  public init(caFile: String?, say: Strings) throws(BridgeHTTPError) {
    guard let made = SSL_CTX_new(TLS_client_method()) else { throw BridgeHTTPError(say(.tlsSetupFailed, Self.openSSLReason())) }
    var problem: BridgeHTTPError?
    if bridgewatch_tls_context_setup(made) != 1 {
      problem = BridgeHTTPError(say(.tlsSetupFailed, Self.openSSLReason()))
    } else {
      SSL_CTX_set_verify(made, SSL_VERIFY_PEER, nil)
      if let caFile, SSL_CTX_load_verify_locations(made, caFile, nil) != 1 {
        problem = BridgeHTTPError(say(.tlsCAFileUnreadable, caFile, Self.openSSLReason()))
      } else if caFile == nil, SSL_CTX_set_default_verify_paths(made) != 1 {
        problem = BridgeHTTPError(say(.tlsSetupFailed, Self.openSSLReason()))
      }
    }
    if let problem {
      SSL_CTX_free(made)
      throw problem
    }
    context = Mutex(made)
  }

  deinit { context.withLock { SSL_CTX_free($0) } }

  /// A new session (`SSL`) on this context; the caller frees it.
  fileprivate func newSession() -> OpaquePointer? { context.withLock { SSL_new($0) } }

  /// The oldest error OpenSSL queued on this thread, in its words ("certificate verify failed"), and the queue
  /// emptied so that the next exchange starts clean.
  static func openSSLReason() -> String {
    let code = ERR_get_error()
    ERR_clear_error()
    guard code != 0, let reason = ERR_reason_error_string(code) else { return "OpenSSL gave no reason" }
    return String(cString: reason)
  }
}

/// One TLS session over a connected non-blocking socket, driven under the exchange's deadline: every call that
/// OpenSSL says would block waits in `poll` for what it needs (readable or writable) and tries again. A class so that
/// the session is freed however the exchange ends.
final class TLSConnection {
  private let connection: OpaquePointer
  private let descriptor: Int32
  private let say: Strings
  private let wait: (Int32, Int16) throws(BridgeHTTPError) -> Void

  init(
    context: TLSClientContext, descriptor: Int32, say: Strings, wait: @escaping (Int32, Int16) throws(BridgeHTTPError) -> Void
  ) throws(BridgeHTTPError) {
    guard let connection = context.newSession() else { throw BridgeHTTPError(say(.tlsSetupFailed, TLSClientContext.openSSLReason())) }
    self.connection = connection
    self.descriptor = descriptor
    self.say = say
    self.wait = wait
  }

  deinit { SSL_free(connection) }

  /// Handshakes, checking the bridge's certificate chain and that it is for `host` (its DNS name, or its address
  /// when `url` names one).
  func handshake(host: String) throws(BridgeHTTPError) {
    ERR_clear_error()
    // Each must take: a name check that failed to be set would let any trusted certificate through.
    let named =
      Self.isAddress(host)
      ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(connection), host)
      : (bridgewatch_tls_set_server_name(connection, host) == 1 ? SSL_set1_host(connection, host) : 0)
    guard SSL_set_fd(connection, descriptor) == 1, named == 1 else {
      throw BridgeHTTPError(say(.tlsSetupFailed, TLSClientContext.openSSLReason()))
    }
    do {
      try drive { SSL_connect($0) }
    } catch {
      // A refused certificate says why in X.509's words ("unable to get local issuer certificate", "hostname
      // mismatch"), which OpenSSL's own error ("certificate verify failed") does not.
      let verdict = SSL_get_verify_result(connection)
      if verdict != X509_V_OK, let text = X509_verify_cert_error_string(verdict) {
        ERR_clear_error()
        throw BridgeHTTPError(say(.tlsCertificateRefused, host, String(cString: text)))
      }
      throw error
    }
  }

  /// Sends all of `bytes`.
  func send(_ bytes: [UInt8]) throws(BridgeHTTPError) {
    var sent = 0
    while sent < bytes.count {
      let count = try drive { connection in
        bytes.withUnsafeBytes { SSL_write(connection, $0.baseAddress! + sent, Int32(min(bytes.count - sent, Int(Int32.max)))) }
      }
      sent += Int(count)
    }
  }

  /// Up to `buffer.count` bytes of the answer; 0 when the server has closed.
  func receive(into buffer: inout [UInt8]) throws(BridgeHTTPError) -> Int {
    let connection = self.connection
    while true {
      ERR_clear_error()
      let count = buffer.withUnsafeMutableBytes { SSL_read(connection, $0.baseAddress!, Int32($0.count)) }
      if count > 0 { return Int(count) }
      let failure = SSL_get_error(connection, count)
      switch failure {
      case SSL_ERROR_ZERO_RETURN: return 0
      case SSL_ERROR_WANT_READ: try wait(descriptor, Int16(POLLIN))
      case SSL_ERROR_WANT_WRITE: try wait(descriptor, Int16(POLLOUT))
      default: throw BridgeHTTPError(say(.tlsFailed, reason(failure)))
      }
    }
  }

  /// Runs `step` until it succeeds (a positive result), waiting for the socket whenever OpenSSL asks.
  @discardableResult
  private func drive(_ step: (OpaquePointer) -> Int32) throws(BridgeHTTPError) -> Int32 {
    while true {
      ERR_clear_error()
      let result = step(connection)
      if result > 0 { return result }
      let failure = SSL_get_error(connection, result)
      switch failure {
      case SSL_ERROR_WANT_READ: try wait(descriptor, Int16(POLLIN))
      case SSL_ERROR_WANT_WRITE: try wait(descriptor, Int16(POLLOUT))
      default: throw BridgeHTTPError(say(.tlsFailed, reason(failure)))
      }
    }
  }

  /// OpenSSL's reason for a failed call: its queued error, else the system's (a reset connection).
  private func reason(_ failure: Int32) -> String {
    if ERR_peek_error() != 0 { return TLSClientContext.openSSLReason() }
    if failure == SSL_ERROR_SYSCALL, errno != 0 { return String(cString: strerror(errno)) }
    return failure == SSL_ERROR_SYSCALL ? say(.tlsClosedAbruptly) : "OpenSSL error \(failure)"
  }

  /// An IPv4 or IPv6 address, which a certificate names in its IP addresses, not its DNS names.
  static func isAddress(_ host: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
  }
}

/// How one bridge's requests are carried: plain HTTP, HTTPS with what its `ca_file` (or the system) trusts, or why
/// that could not be set up. Made once, when the bridge's client is; a failure is then every poll's problem, so the
/// roster is unknown and says why until the file is mended and the monitor restarted.
public enum BridgeTLS: Sendable {
  case plain
  case secure(TLSClientContext)
  case broken(BridgeHTTPError)

  public init(_ bridge: BridgeSettings, say: Strings) {
    guard bridge.secure || bridge.admin?.secure == true else {
      self = .plain
      return
    }
    do throws(BridgeHTTPError) {
      self = .secure(try TLSClientContext(caFile: bridge.caFile, say: say))
    } catch {
      self = .broken(error)
    }
  }

  /// The context for a request to an endpoint that is `secure` (the bridge's url, or Janus's `admin_url`), nil for
  /// plain HTTP.
  public func context(secure: Bool = true) throws(BridgeHTTPError) -> TLSClientContext? {
    guard secure else { return nil }
    switch self {
    case .plain: return nil
    case .secure(let context): return context
    case .broken(let problem): throw problem
    }
  }
}
