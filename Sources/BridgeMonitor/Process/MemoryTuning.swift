import CLinux

public enum MemoryTuning {
  /// The monitor builds buffers of megabytes again and again (the status file, copies of every site's record for
  /// the faces). glibc raises its mmap threshold each time such a buffer is freed, so from the second one on they
  /// come from the heap and stay resident after being freed: 8 MB of peak RSS at 10,000 sites. A fixed threshold
  /// gives every buffer over 128 KiB back to the kernel when it is freed.
  public static func returnLargeBuffersToTheKernel() {
    _ = bw_set_mmap_threshold(128 * 1024)
  }

  /// Gives back what start-up freed: the keys file is read on a thread of its own, whose malloc arena kept the
  /// pages of its YAML after they were freed (2–3 MiB of steady RSS at 10,000 sites, `bench load`).
  public static func giveBackWhatStartFreed() {
    _ = bw_trim_free_memory()
  }
}
