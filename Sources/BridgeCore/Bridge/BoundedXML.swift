/// A small XML reader for the Cisco Meeting Server's API answers, bounded in depth and element count, that expands
/// no entity beyond XML's five and numeric references and refuses any DOCTYPE (so no entity bomb and no external
/// fetch): what CMS sends is plain elements, attributes and text. Written here rather than Foundation's XMLParser so
/// that the limits are checked while reading, not after a whole tree was built, and the monitor needs no libxml2.
public enum BoundedXML {
  /// One element: its name, attributes, child elements and the text directly inside it (CDATA included).
  public struct Element: Sendable, Equatable {
    public var name: String
    public var attributes: [String: String]
    public var children: [Element]
    public var text: String

    /// The first child element named `name`.
    public func child(_ name: String) -> Element? { children.first { $0.name == name } }
  }

  /// Why a text is not read, with the byte where that was found.
  public enum Problem: Error, Sendable, Equatable {
    case tooDeep(Int)
    case tooManyElements(Int)
    case doctype
    case malformed(at: Int)

    public func describe(_ say: Strings) -> String {
      switch self {
      case .tooDeep(let limit): say(.vendorXMLTooDeep, limit)
      case .tooManyElements(let limit): say(.vendorXMLTooMany, limit)
      case .doctype: say(.vendorXMLDoctype)
      case .malformed(let offset): say(.vendorXMLMalformed, offset)
      }
    }
  }

  /// The document's root element.
  public static func parse(_ bytes: [UInt8], maximumDepth: Int = 16, maximumElements: Int = 2_000_000) throws(Problem) -> Element {
    var reader = Reader(bytes: bytes, maximumDepth: maximumDepth, maximumElements: maximumElements)
    return try reader.document()
  }

  private struct Reader {
    let bytes: [UInt8]
    let maximumDepth: Int
    let maximumElements: Int
    var position = 0
    var elements = 0

    init(bytes: [UInt8], maximumDepth: Int, maximumElements: Int) {
      self.bytes = bytes
      self.maximumDepth = maximumDepth
      self.maximumElements = maximumElements
      // A UTF-8 byte order mark is allowed before the declaration.
      if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    mutating func document() throws(Problem) -> Element {
      try skipMisc()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "<") else { throw .malformed(at: position) }
      let root = try element(depth: 1)
      try skipMisc()
      guard position == bytes.count else { throw .malformed(at: position) }
      return root
    }

    /// Whitespace, the XML declaration and other processing instructions, comments; a DOCTYPE is refused.
    mutating func skipMisc() throws(Problem) {
      while true {
        skipSpace()
        if starts("<?") {
          try skip(past: "?>")
        } else if starts("<!--") {
          try skip(past: "-->")
        } else if starts("<!") {
          throw .doctype
        } else {
          return
        }
      }
    }

    mutating func element(depth: Int) throws(Problem) -> Element {
      guard depth <= maximumDepth else { throw .tooDeep(maximumDepth) }
      elements += 1
      guard elements <= maximumElements else { throw .tooManyElements(maximumElements) }
      position += 1  // "<"
      let name = try readName()
      var attributes: [String: String] = [:]
      while true {
        skipSpace()
        guard position < bytes.count else { throw .malformed(at: position) }
        if starts("/>") {
          position += 2
          return Element(name: name, attributes: attributes, children: [], text: "")
        }
        if bytes[position] == UInt8(ascii: ">") {
          position += 1
          break
        }
        let key = try readName()
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else { throw .malformed(at: position) }
        position += 1
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
          throw .malformed(at: position)
        }
        let quote = bytes[position]
        position += 1
        let start = position
        while position < bytes.count, bytes[position] != quote {
          guard bytes[position] != UInt8(ascii: "<") else { throw .malformed(at: position) }
          position += 1
        }
        guard position < bytes.count else { throw .malformed(at: start) }
        guard attributes[key] == nil else { throw .malformed(at: start) }
        attributes[key] = try decode(start..<position)
        position += 1
      }
      var children: [Element] = []
      var text = ""
      while true {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "<") { position += 1 }
        if position > start { text += try decode(start..<position) }
        guard position < bytes.count else { throw .malformed(at: position) }
        if starts("</") {
          position += 2
          let closing = try readName()
          skipSpace()
          guard closing == name, position < bytes.count, bytes[position] == UInt8(ascii: ">") else { throw .malformed(at: position) }
          position += 1
          return Element(name: name, attributes: attributes, children: children, text: text)
        } else if starts("<![CDATA[") {
          let from = position + 9
          try skip(past: "]]>")
          text += String(decoding: bytes[from..<(position - 3)], as: UTF8.self)
        } else if starts("<!--") {
          try skip(past: "-->")
        } else if starts("<?") {
          try skip(past: "?>")
        } else if starts("<!") {
          throw .doctype
        } else {
          children.append(try element(depth: depth + 1))
        }
      }
    }

    func starts(_ text: StaticString) -> Bool {
      let count = text.utf8CodeUnitCount
      guard position + count <= bytes.count else { return false }
      return text.withUTF8Buffer { prefix in
        for offset in 0..<count where bytes[position + offset] != prefix[offset] { return false }
        return true
      }
    }

    mutating func skip(past terminator: StaticString) throws(Problem) {
      let start = position
      while position < bytes.count {
        if starts(terminator) {
          position += terminator.utf8CodeUnitCount
          return
        }
        position += 1
      }
      throw .malformed(at: start)
    }

    mutating func skipSpace() {
      while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func readName() throws(Problem) -> String {
      let start = position
      while position < bytes.count {
        let byte = bytes[position]
        let isNameByte =
          (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
          || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
          || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        guard isNameByte, position - start < 128 else { break }
        position += 1
      }
      guard position > start else { throw .malformed(at: start) }
      return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// Text with the five predefined entities and numeric character references expanded; anything else refused.
    func decode(_ range: Range<Int>) throws(Problem) -> String {
      guard bytes[range].contains(UInt8(ascii: "&")) else { return String(decoding: bytes[range], as: UTF8.self) }
      var out: [UInt8] = []
      out.reserveCapacity(range.count)
      var index = range.lowerBound
      while index < range.upperBound {
        let byte = bytes[index]
        guard byte == UInt8(ascii: "&") else {
          out.append(byte)
          index += 1
          continue
        }
        guard let end = bytes[index..<range.upperBound].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
          throw .malformed(at: index)
        }
        let name = String(decoding: bytes[(index + 1)..<end], as: UTF8.self)
        let scalar: Unicode.Scalar? =
          switch name {
          case "lt": "<"
          case "gt": ">"
          case "amp": "&"
          case "quot": "\""
          case "apos": "'"
          default:
            if name.hasPrefix("#x") {
              UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
            } else if name.hasPrefix("#") {
              UInt32(name.dropFirst(1)).flatMap(Unicode.Scalar.init)
            } else {
              nil
            }
          }
        guard let scalar else { throw .malformed(at: index) }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
        index = end + 1
      }
      return String(decoding: out, as: UTF8.self)
    }
  }
}
