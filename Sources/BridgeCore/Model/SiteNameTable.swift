import Foundation

/// Sites by the exact UTF-8 bytes of a name: a lookup hashes the bytes where they lie and compares them with the
/// stored ones, so it allocates nothing and skips the Unicode normalisation Swift does to hash and compare a `String`.
/// The reconcile looks participants' display names up in one (`BridgeNameIndex`, issue 32's 20 ms target, most of
/// which was normalising Vietnamese names), the report its journal's site ids (a quarter of reading a two-day
/// journal's common lines was hashing ids for a dictionary).
///
/// Open addressing with linear probing over a power-of-two slot array at most half full; every name's bytes in one
/// buffer. The first site given a name keeps it (as a dictionary filled in order with "if absent" would).
struct SiteNameTable: Sendable {
  private var bytes: [UInt8] = []
  /// Entry `i`'s bytes are `bytes[starts[i]..<starts[i + 1]]`.
  private var starts: [Int] = [0]
  private var sites: [Int] = []
  /// In a used slot, the top half of the name's hash and its entry + 1 (0 in a free one): a probe that meets
  /// another name is told apart by the hash in the slot, without reading the other name's bytes.
  private var slots: [UInt64]
  private let mask: Int

  init(capacity: Int) {
    var size = 16
    while size < capacity * 2 { size *= 2 }
    slots = [UInt64](repeating: 0, count: size)
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
      let hash = Self.hash(raw)
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot] != 0 {
        if slots[slot] >> 32 == hash >> 32, matches(entry: Int(slots[slot] & 0xFFFF_FFFF) - 1, raw) { return }
        slot = (slot + 1) & mask
      }
      bytes.append(contentsOf: buffer)
      starts.append(bytes.count)
      sites.append(site)
      slots[slot] = hash & 0xFFFF_FFFF_0000_0000 | UInt64(sites.count)
    }
  }

  /// The site whose name is exactly these bytes.
  func site(bytes name: UnsafeRawBufferPointer) -> Int? {
    let hash = Self.hash(name)
    var slot = Int(truncatingIfNeeded: hash) & mask
    while slots[slot] != 0 {
      if slots[slot] >> 32 == hash >> 32 {
        let entry = Int(slots[slot] & 0xFFFF_FFFF) - 1
        if matches(entry: entry, name) { return sites[entry] }
      }
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

  /// Compared eight bytes at a time, in line: a call to `memcmp` for a name of ten bytes cost more than the compare.
  private func matches(entry: Int, _ name: UnsafeRawBufferPointer) -> Bool {
    let start = starts[entry]
    let count = starts[entry + 1] - start
    guard count == name.count else { return false }
    guard count > 0 else { return true }
    return bytes.withUnsafeBytes { stored in
      let mine = stored.baseAddress! + start
      let theirs = name.baseAddress!
      var offset = 0
      while offset + 8 <= count {
        guard mine.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == theirs.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        else { return false }
        offset += 8
      }
      while offset < count {
        guard mine.load(fromByteOffset: offset, as: UInt8.self) == theirs.load(fromByteOffset: offset, as: UInt8.self) else { return false }
        offset += 1
      }
      return true
    }
  }

  /// Eight bytes at a time, each folded in with a multiply, then mixed: names are short (tens of bytes), and a
  /// fixed hash keeps the table the same from run to run.
  static func hash(_ name: UnsafeRawBufferPointer) -> UInt64 {
    let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(name.count) &* multiplier
    var offset = 0
    while offset + 8 <= name.count {
      hash = (hash ^ name.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* multiplier
      hash ^= hash >> 32
      offset += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while offset < name.count {
      tail |= UInt64(name[offset]) << shift
      shift += 8
      offset += 1
    }
    hash = (hash ^ tail) &* multiplier
    hash ^= hash >> 29
    return hash &* 0xBF58_476D_1CE4_E5B9 ^ (hash >> 32)
  }
}
