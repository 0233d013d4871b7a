import Foundation

/// A check-in page's submission, decoded from its `application/x-www-form-urlencoded` body (the server caps the body
/// at `CheckinForm.maximumBodyBytes` before this sees it) and checked field by field.
public struct CheckinForm: Sendable, Equatable {
  /// What the organiser pressed: one of the page's three buttons.
  public enum Action: String, Sendable, CaseIterable {
    case connected, count, help
  }

  /// Why a submission is not applied.
  public enum Problem: Error, Sendable, Equatable {
    /// Not a form of ours (bad encoding, a missing or unknown action, no page stamp): "open the link again".
    case malformed
    /// No one said who they are.
    case needWho
    /// "Send the headcount" with the field empty.
    case needCount
    /// The headcount field holds no whole number in the engine's range.
    case badCount(CountText.Problem)
  }

  public static let maximumBodyBytes = 4096
  /// Fields read from a body at most; a body with more is malformed.
  static let maximumFields = 16
  /// Scalars kept of `who`: an operator name's limit, since the journal keeps it where it keeps theirs.
  public static let maximumWhoScalars = OperatorText.Field.operatorName.limit

  public var action: Action
  /// The headcount typed, if any; any button may carry it.
  public var count: Int?
  /// Who typed it (name and phone), printable and trimmed, at most `maximumWhoScalars`.
  public var who: String
  /// The page's stamp: when it was served, its one-use nonce, and the monitor's signature of both.
  public var stamp: CheckinStamp

  public init(action: Action, count: Int?, who: String, stamp: CheckinStamp) {
    self.action = action
    self.count = count
    self.who = who
    self.stamp = stamp
  }

  /// The fields of a body, decoded; nil when it is not form encoding (a bad escape, too many fields, not UTF-8).
  public static func fields(_ body: [UInt8]) -> [String: String]? {
    var fields: [String: String] = [:]
    var pairs = 0
    for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
      pairs += 1
      guard pairs <= maximumFields else { return nil }
      let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
      guard let name = decode(parts[0]), let value = parts.count == 2 ? decode(parts[1]) : "" else { return nil }
      if fields[name] == nil { fields[name] = value }
    }
    return fields
  }

  /// A form value: `+` is a space, `%XX` a byte; the bytes must be UTF-8.
  static func decode(_ encoded: ArraySlice<UInt8>) -> String? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(encoded.count)
    var index = encoded.startIndex
    while index < encoded.endIndex {
      let byte = encoded[index]
      if byte == UInt8(ascii: "+") {
        bytes.append(UInt8(ascii: " "))
      } else if byte == UInt8(ascii: "%") {
        guard encoded.endIndex - index >= 3, let high = hexValue(encoded[index + 1]), let low = hexValue(encoded[index + 2])
        else { return nil }
        bytes.append(high << 4 | low)
        index += 2
      } else {
        bytes.append(byte)
      }
      index += 1
    }
    return String(validating: bytes, as: UTF8.self)
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
  }

  /// `who` as it is kept: control characters and bidirectional overrides dropped (it reaches terminals and the
  /// journal), runs of spaces made one, trimmed, cut at `maximumWhoScalars`.
  public static func cleanWho(_ text: String) -> String {
    let printable = TextSanitizer.printable(text)
    var out = String.UnicodeScalarView()
    var pendingSpace = false
    for scalar in printable.unicodeScalars {
      if scalar.properties.isWhitespace {
        pendingSpace = !out.isEmpty
        continue
      }
      if pendingSpace {
        guard out.count + 1 < maximumWhoScalars else { break }
        out.append(" ")
        pendingSpace = false
      }
      guard out.count < maximumWhoScalars else { break }
      out.append(scalar)
    }
    return String(out)
  }

  /// The submission in `body`, or why it cannot be applied. `who` and `count` are returned with the problem so the
  /// page can show them again.
  public static func parse(_ body: [UInt8]) -> Result<CheckinForm, Problem> {
    guard let fields = fields(body), let action = fields["action"].flatMap(Action.init(rawValue:)),
      let stamp = CheckinStamp(issued: fields["issued"], nonce: fields["nonce"], signature: fields["sig"])
    else { return .failure(.malformed) }
    let who = cleanWho(fields["who"] ?? "")
    guard !who.isEmpty else { return .failure(.needWho) }
    let countText = (fields["count"] ?? "").trimmingCharacters(in: .whitespaces)
    var count: Int?
    if countText.isEmpty {
      if action == .count { return .failure(.needCount) }
    } else {
      switch CountText.parse(Array(countText.utf8)) {
      case .success(let value) where value <= ConfigLoader.maximumExpected: count = value
      case .success(let value): return .failure(.badCount(.tooLarge(value)))
      case .failure(let problem): return .failure(.badCount(problem))
      }
    }
    return .success(CheckinForm(action: action, count: count, who: who, stamp: stamp))
  }

  /// The state the submission reports: `help` raises the site's help flag, `connected` lowers it, a count alone
  /// leaves it as it is.
  public var reportedState: ReportedState? {
    switch action {
    case .connected: .ok
    case .help: .help
    case .count: nil
    }
  }
}

/// What every served form carries in hidden fields: when it was served (Unix seconds), a one-use nonce, and the
/// monitor's HMAC of the site's token, the time and the nonce under a key made at the monitor's start. A replayed
/// or forged form is refused; one older than the form's validity, or from before a restart, is "too old".
public struct CheckinStamp: Sendable, Equatable {
  public var issued: Int64
  /// 16 lower-case hex digits.
  public var nonce: String
  /// 64 lower-case hex digits.
  public var signature: String

  public init(issued: Int64, nonce: String, signature: String) {
    self.issued = issued
    self.nonce = nonce
    self.signature = signature
  }

  init?(issued: String?, nonce: String?, signature: String?) {
    guard let issued, issued.utf8.count <= 12, let time = Int64(issued), time > 0, let nonce, nonce.utf8.count == 16,
      nonce.utf8.allSatisfy(Self.isHexDigit), let signature, signature.utf8.count == 64, signature.utf8.allSatisfy(Self.isHexDigit)
    else { return nil }
    self.init(issued: time, nonce: nonce, signature: signature)
  }

  static func isHexDigit(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
  }
}
