import Glibc
import Synchronization

/// A thread that serves one job for the life of a component (the console server, the prober, the dashboard): named
/// so `top -H`, gdb and the benchmarks can tell it apart, started once, joined when its owner stops. How the body
/// learns to return (a flag, a `WakeableInbox` message, a closed descriptor) is the owner's; `join` waits for it.
public final class ServiceThread: Sendable {
  /// The kernel's name (Linux keeps 15 bytes; longer names are cut).
  public let name: String
  private let body: @Sendable () -> Void
  private let handle = Mutex<Handle>(.notStarted)

  private enum Handle {
    case notStarted
    case running(pthread_t)
    case joined
  }

  public init(name: String, body: @escaping @Sendable () -> Void) {
    self.name = name
    self.body = body
  }

  /// Starts the thread; a second call is a programming error.
  public func start() {
    handle.withLock { handle in
      guard case .notStarted = handle else { preconditionFailure("service thread \(name) started twice") }
      let context = Unmanaged.passRetained(Context(name: name, body: body)).toOpaque()
      var thread = pthread_t()
      let result = pthread_create(
        &thread, nil,
        { raw in
          let context = Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue()
          ServiceThread.nameCurrentThread(context.name)
          context.body()
          return nil
        }, context)
      precondition(result == 0, "pthread_create: \(result)")
      handle = .running(thread)
    }
  }

  /// Waits for the body to return. Safe to call more than once, from any thread but its own, and before `start`
  /// (then nothing ran and nothing waits).
  public func join() {
    let thread: pthread_t? = handle.withLock { handle in
      guard case .running(let thread) = handle else { return nil }
      handle = .joined
      return thread
    }
    if let thread { pthread_join(thread, nil) }
  }

  /// Names the calling thread in the kernel (the Glibc module lacks `pthread_setname_np`; /proc has the same door).
  public static func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  }

  private final class Context {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
      self.name = name
      self.body = body
    }
  }
}
