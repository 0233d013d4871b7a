import CYaml

/// Refuses YAML that uses aliases (`*name`) before it is composed. None of BridgeWatch's files (config, keys,
/// themes) needs them, and composing nested aliases is exponential: a 390-byte file used as a mapping key kept
/// Yams busy for minutes. libyaml's event parser reads the text once, in linear time, without expanding anything.
public enum YAMLAliasGuard {
  /// The 1-based line and column of the first alias, or nil when there is none (or the text does not parse; the
  /// composer reports that with its own message).
  public static func firstAlias(in text: String) -> (line: Int, column: Int)? {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { return nil }
    defer { yaml_parser_delete(&parser) }
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBufferPointer { buffer -> (line: Int, column: Int)? in
      yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
      var event = yaml_event_t()
      while yaml_parser_parse(&parser, &event) == 1 {
        defer { yaml_event_delete(&event) }
        switch event.type {
        case YAML_ALIAS_EVENT:
          return (Int(event.start_mark.line) + 1, Int(event.start_mark.column) + 1)
        case YAML_STREAM_END_EVENT:
          return nil
        default:
          continue
        }
      }
      return nil
    }
  }
}
