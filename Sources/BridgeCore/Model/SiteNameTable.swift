import Foundation

/// Sites by the exact UTF-8 bytes of a name: a lookup hashes the bytes where they lie and compares them with the
/// stored ones, so it allocates nothing and skips the Unicode normalisation Swift does to hash and compare a `String`.
/// The reconcile looks participants' display names up in one (`BridgeNameIndex`, issue 32's 20 ms target, most of
/// which was normalising Vietnamese names), the report its journal's site ids (a quarter of reading a two-day
/// journal's common lines was hashing ids for a dictionary).
///
/// Open addressing with linear probing over a power-of-two array of slots at most half full. A slot holds its
/// name's first 16 bytes, its hash's top half and its site, so a lookup of a short name (every site id in practice)
/// reads one slot of 32 bytes: a two-day journal is millions of lookups of ids in no order, and each array read on the
/// way is a cache miss (a slot and an entry apart were a fifth of a 100,000-site report's time). The rest of a longer
/// name is in one shared buffer. The first site given a name keeps it (as a dictionary filled in order with "if
/// absent" would).
struct SiteNameTable: Sendable {
  private struct Slot: Sendable {
    /// The name's first 16 bytes, zero after its end.
    var head: (UInt64, UInt64) = (0, 0)
    /// The top half of the name's hash: a probe that meets another name is told apart without comparing bytes.
    var hashTag: UInt32 = 0
    /// The site + 1; 0 in a free slot.
    var storedSite: UInt32 = 0
    /// Where bytes 16 and after are in `tails`.
    var tailStart: UInt32 = 0
    var length: UInt32 = 0
  }

  private var slots: [Slot]
  private var tails: [UInt8] = []
  private let mask: Int
  private let capacity: Int
  private var count = 0

  /// A table of `capacity` names at most.
  init(capacity: Int) {
    self.capacity = capacity
    var size = 16
    while size < capacity * 2 { size *= 2 }
    slots = [Slot](repeating: Slot(), count: size)
    mask = size - 1
  }

  /// Adds `name` for `site` unless the name is there already. Names past the capacity, sites past `UInt32` or names
  /// of 4 GiB are not kept (a roster is bounded far below).
  mutating func insert(_ name: String, site: Int) {
    var name = name
    name.withUTF8 { buffer in
      let raw = UnsafeRawBufferPointer(buffer)
      guard count < capacity, (0..<Int(UInt32.max)).contains(site), raw.count < Int(UInt32.max),
        tails.count < Int(UInt32.max) - raw.count
      else { return }
      let hash = Self.hash(raw)
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot].storedSite != 0 {
        if matches(slots[slot], hash: hash, raw) { return }
        slot = (slot + 1) & mask
      }
      count += 1
      slots[slot] = Slot(
        head: Self.head(raw), hashTag: UInt32(truncatingIfNeeded: hash >> 32), storedSite: UInt32(site + 1),
        tailStart: UInt32(tails.count), length: UInt32(raw.count))
      if raw.count > 16 { tails.append(contentsOf: buffer[16...]) }
    }
  }

  /// The site whose name is exactly these bytes.
  func site(bytes name: UnsafeRawBufferPointer) -> Int? {
    let hash = Self.hash(name)
    return slots.withUnsafeBufferPointer { slots in
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot].storedSite != 0 {
        if matches(slots[slot], hash: hash, name) { return Int(slots[slot].storedSite) - 1 }
        slot = (slot + 1) & mask
      }
      return nil
    }
  }

  /// The site whose name is exactly `name`'s UTF-8 bytes (no normalisation).
  func site(exactly name: String) -> Int? {
    if let found = name.utf8.withContiguousStorageIfAvailable({ site(bytes: UnsafeRawBufferPointer($0)) }) { return found }
    var copy = name
    return copy.withUTF8 { site(bytes: UnsafeRawBufferPointer($0)) }
  }

  /// A name's first 16 bytes as two words, zero after its end.
  private static func head(_ name: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
    var words: (UInt64, UInt64) = (0, 0)
    withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: name.prefix(16))) }
    return words
  }

  private func matches(_ slot: Slot, hash: UInt64, _ name: UnsafeRawBufferPointer) -> Bool {
    guard slot.hashTag == UInt32(truncatingIfNeeded: hash >> 32), Int(slot.length) == name.count else { return false }
    let head = Self.head(name)
    guard head.0 == slot.head.0, head.1 == slot.head.1 else { return false }
    guard name.count > 16 else { return true }
    return tails.withUnsafeBytes { stored in
      memcmp(stored.baseAddress! + Int(slot.tailStart), name.baseAddress! + 16, name.count - 16) == 0
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
