/// What a restart needs from a journal's first `offset` bytes, kept next to the journal (`PATH.checkpoint`), so that
/// start-up reads only what was written after it, however long the conference has run (a two-day journal of a
/// 31,097-site conference is about 9 million lines).
///
/// It is derived from the journal and never the other way round: the journal stays the one truth, the report reads
/// only the journal, and a checkpoint that does not match the journal it names (another file, shorter than the
/// offset, different bytes before it) is ignored with a note and the whole journal is read. The file is a header
/// line and then ordinary journal lines (`RestoredSite.Replay.stateRecords`), so it is read by the journal's own
/// reader, with the same bounds.
public struct JournalCheckpoint: Sendable, Equatable {
  public static let version = 1
  /// How many bytes before `offset` the digest covers: enough to catch a journal cut short, replaced by a copy
  /// that went on differently, or edited near its end.
  public static let digestedBytes = 64 * 1024
  /// A larger checkpoint file is not read (100,000 sites with every kind of state is about 70 MB).
  public static let maximumFileBytes = 256 << 20

  /// The journal's bytes this stands for: everything before it, ending with a line break.
  public var offset: Int
  public var lines: Int
  public var records: Int
  /// `digest(_:)` of the `digestedBytes` (or fewer, at the start) before `offset`.
  public var tailDigest: UInt64
  /// The journal file's device and inode when it was written.
  public var device: UInt64
  public var inode: UInt64
  public var unixSeconds: Double

  public init(offset: Int, lines: Int, records: Int, tailDigest: UInt64, device: UInt64, inode: UInt64, unixSeconds: Double) {
    self.offset = offset
    self.lines = lines
    self.records = records
    self.tailDigest = tailDigest
    self.device = device
    self.inode = inode
    self.unixSeconds = unixSeconds
  }

  /// FNV-1a, 64 bits: a check that the bytes are the ones the checkpoint saw, not a defence against someone who
  /// can write the journal (they could rewrite the checkpoint as well).
  public static func digest(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash &*= 0x0000_0100_0000_01b3
    }
    return hash
  }

  /// The header line, without its line break.
  public var headerLine: String {
    "BWCHECKPOINT v=\(Self.version) offset=\(offset) lines=\(lines) records=\(records) tail=\(String(tailDigest, radix: 16)) "
      + "dev=\(device) ino=\(inode) t=\(Int64(unixSeconds.isFinite ? unixSeconds : 0))"
  }

  /// The checkpoint's header and its state records, as the file holds them.
  public func fileText(state: [JournalRecord]) -> String {
    var text = ""
    write(state: state, chunkBytes: .max) { piece in
      text += String(decoding: piece, as: UTF8.self)
      return true
    }
    return text
  }

  /// The same bytes as `fileText`, handed to `output` in pieces of about `chunkBytes`: the monitor writes a
  /// national checkpoint (several megabytes) without holding it whole, twice (as text and as bytes), at its peak.
  /// Stops at the first piece `output` refuses (returns false).
  public func write(state: [JournalRecord], chunkBytes: Int = 256 * 1024, _ output: ([UInt8]) -> Bool) {
    var buffer = Array((headerLine + "\n").utf8)
    buffer.reserveCapacity(min(chunkBytes, 1 << 20) + 4096)
    for record in state {
      buffer += JournalCodec.encode(record).utf8
      buffer.append(0x0A)
      if buffer.count >= chunkBytes {
        guard output(buffer) else { return }
        buffer.removeAll(keepingCapacity: true)
      }
    }
    if !buffer.isEmpty { _ = output(buffer) }
  }

  /// Reads a header line; the error says what is wrong with it.
  public static func parseHeader(_ line: Substring) -> Result<JournalCheckpoint, JournalLineError> {
    let words = line.split(separator: " ", omittingEmptySubsequences: false)
    guard words.first == "BWCHECKPOINT", words.count == 9 else {
      return .failure(JournalLineError("not a checkpoint header (BWCHECKPOINT v=1 offset=... and 6 more fields)"))
    }
    var values: [Substring: Substring] = [:]
    for word in words.dropFirst() {
      let parts = word.split(separator: "=", maxSplits: 1)
      guard parts.count == 2, values[parts[0]] == nil else { return .failure(JournalLineError("bad field \"\(word.prefix(40))\"")) }
      values[parts[0]] = parts[1]
    }
    guard values["v"] == "\(version)" else {
      return .failure(JournalLineError("version \(values["v"].map { String($0.prefix(8)) } ?? "?"), this monitor writes \(version)"))
    }
    func count(_ key: Substring) -> Int? { values[key].flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil } }
    guard let offset = count("offset"), let lines = count("lines"), let records = count("records"), records <= lines,
      let tail = values["tail"].flatMap({ UInt64($0, radix: 16) }), let device = values["dev"].flatMap({ UInt64($0) }),
      let inode = values["ino"].flatMap({ UInt64($0) }), let time = values["t"].flatMap({ Int64($0) })
    else { return .failure(JournalLineError("a field is missing or out of range")) }
    return .success(
      JournalCheckpoint(
        offset: offset, lines: lines, records: records, tailDigest: tail, device: device, inode: inode, unixSeconds: Double(time)))
  }
}
