/// A strict RFC 4180 reader for site rosters exported from spreadsheets.
/// Quoted fields may hold commas, quotes (doubled) and line breaks; each record keeps the line it starts on.
public struct CSVRecord: Sendable, Equatable {
  public var line: Int
  public var fields: [String]
}

public enum CSVReader {
  public struct Failure: Error, Equatable {
    public var line: Int
    public var message: String
  }

  public static func records(from text: String) throws(Failure) -> [CSVRecord] {
    var records: [CSVRecord] = []
    var fields: [String] = []
    var field = ""
    var line = 1
    var recordLine = 1
    var inQuotes = false
    var fieldWasQuoted = false
    var afterClosingQuote = false
    // Spreadsheets often start UTF-8 exports with a byte-order mark.
    var scalars = Substring(text).unicodeScalars[...]
    if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
    var iterator = scalars.makeIterator()
    var pending: Unicode.Scalar? = nil

    func endRecord() {
      fields.append(field)
      let isBlank = fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted
      if !isBlank { records.append(CSVRecord(line: recordLine, fields: fields)) }
      fields = []
      field = ""
      fieldWasQuoted = false
      afterClosingQuote = false
    }

    while let scalar = pending ?? iterator.next() {
      pending = nil
      if inQuotes {
        if scalar == "\"" {
          let next = iterator.next()
          if next == "\"" {
            field.unicodeScalars.append("\"")
          } else {
            inQuotes = false
            afterClosingQuote = true
            pending = next
          }
        } else {
          if scalar == "\n" { line += 1 }
          field.unicodeScalars.append(scalar)
        }
        continue
      }
      switch scalar {
      case ",":
        fields.append(field)
        field = ""
        fieldWasQuoted = false
        afterClosingQuote = false
      case "\r":
        let next = iterator.next()
        if next != "\n" { pending = next }
        endRecord()
        line += 1
        recordLine = line
      case "\n":
        endRecord()
        line += 1
        recordLine = line
      case "\"":
        guard field.isEmpty, !fieldWasQuoted else {
          throw Failure(line: line, message: "a quote inside an unquoted field (quote the whole field and double the quote)")
        }
        inQuotes = true
        fieldWasQuoted = true
      default:
        if afterClosingQuote {
          throw Failure(line: line, message: "text after a closing quote (expected ',' or end of line)")
        }
        field.unicodeScalars.append(scalar)
      }
    }
    if inQuotes { throw Failure(line: recordLine, message: "a quoted field is not closed before the end of the file") }
    if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
    return records
  }
}
