import CLinux

/// The kernel's name of the calling thread, so `top -H`, gdb and the benchmarks can tell the monitor's threads
/// apart (Foundation's `Thread.name` does not reach the kernel here). Linux keeps 15 bytes.
public enum ThreadName {
  public static func setCurrent(_ name: String) { bw_set_thread_name(name) }
}
