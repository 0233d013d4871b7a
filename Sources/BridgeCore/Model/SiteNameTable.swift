import Foundation

/// Sites by the NFC UTF-8 bytes of their bridge names, for the reconcile's hot path: a lookup hashes a display
/// name's bytes where they lie and compares them with the stored ones, so it allocates nothing and skips the
/// Unicode normalisation Swift does to hash and compare a non-ASCII `String` (most of a national pass's time with
/// Vietnamese names, issue 32's 20 ms target).
///
/// Open addressing with linear probing over a power-of-two slot array at most half full; every name's bytes in one
/// buffer. The first site given a name keeps it (as `BridgeNameIndex` does for its dictionaries).
struct BridgeNameTable: Sendable {
  private var bytes: [UInt8] = []
  /// Entry `i`'s bytes are `bytes[starts[i]..<starts[i + 1]]`.
  private var starts: [Int] = [0]
  private var sites: [Int] = []
  /// Entry + 1 in each used slot, 0 in a free one.
  private var slots: [Int32]
  private let mask: Int

  init(capacity: Int) {
    var size = 16
    while size < capacity * 2 { size *= 2 }
    slots = [Int32](repeating: 0, count: size)
    mask = size - 1
    sites.reserveCapacity(capacity)
    starts.reserveCapacity(capacity + 1)
  }

  /// Adds `name` for `site` unless the name is there already. Names past `Int32` entries are not kept (a roster
  /// is bounded far below).
  mutating func insert(_ name: String, site: Int) {
    var name = name
    name.withUTF8 { buffer in
      let raw = UnsafeRawBufferPointer(buffer)
      guard sites.count < Int(Int32.max) - 1 else { return }
      var slot = Int(truncatingIfNeeded: Self.hash(raw)) & mask
      while slots[slot] != 0 {
        if matches(entry: Int(slots[slot]) - 1, raw) { return }
        slot = (slot + 1) & mask
      }
      bytes.append(contentsOf: buffer)
      starts.append(bytes.count)
      sites.append(site)
      slots[slot] = Int32(sites.count)
    }
  }

  /// The site whose name is exactly these bytes.
  func site(bytes name: UnsafeRawBufferPointer) -> Int? {
    var slot = Int(truncatingIfNeeded: Self.hash(name)) & mask
    while slots[slot] != 0 {
      let entry = Int(slots[slot]) - 1
      if matches(entry: entry, name) { return sites[entry] }
      slot = (slot + 1) & mask
    }
    return nil
  }

  /// The site whose name is exactly `name`'s UTF-8 bytes (no normalisation).
  func site(exactly name: String) -> Int? {
    if let found = name.utf8.withContiguousStorageIfAvailable({ site(bytes: UnsafeRawBufferPointer($0)) }) { return found }
    var copy = name
    return copy.withUTF8 { site(bytes: UnsafeRawBufferPointer($0)) }
  }

  private func matches(entry: Int, _ name: UnsafeRawBufferPointer) -> Bool {
    let start = starts[entry]
    let count = starts[entry + 1] - start
    guard count == name.count else { return false }
    return bytes.withUnsafeBytes { stored in
      count == 0 || memcmp(stored.baseAddress! + start, name.baseAddress!, count) == 0
    }
  }

  /// FNV-1a, 64 bits: names are short (tens of bytes), and a fixed hash keeps the table the same from run to run.
  static func hash(_ name: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name {
      hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
    return hash ^ (hash >> 29)
  }

  /// True when `text` is certainly in NFC by its scalars alone: each is below U+0300 (all starters, none changed
  /// by NFC) or a precomposed letter of Latin Extended Additional (U+1E00–U+1EFF, where Vietnamese letters with two
  /// marks live). Such a text that misses the table names no site in any form; anything else (a combining mark, a
  /// script beyond these) is looked up the slow way.
  static func isCertainlyNFC(_ text: String) -> Bool {
    for scalar in text.unicodeScalars {
      let value = scalar.value
      if value < 0x300 || (0x1E00...0x1EFF).contains(value) { continue }
      return false
    }
    return true
  }
}
