/// The sites the end-to-end tests' configs list, each written once: a test names the ones it needs, and a change
/// to a site's name or figures is made here for every test.
public enum TestRoster {
  static let entries: [String: String] = [
    "HB-TU": #"{id: HB-TU, name: "Tỉnh ủy Hòa Bình", group: "Hòa Bình", expected: 150}"#,
    "HB-DB-TULY": #"{id: HB-DB-TULY, name: "Xã Tú Lý", group: "Hòa Bình / Đà Bắc", expected: 45}"#,
    "HB-MC-HU": #"{id: HB-MC-HU, name: "Huyện ủy Mai Châu", group: "Hòa Bình / Mai Châu", expected: 98}"#,
    "HB-DB-CAOSON": #"{id: HB-DB-CAOSON, name: "Xã Cao Sơn", group: "Hòa Bình / Đà Bắc", expected: 54}"#,
    "HB-DB-GIAPDAT": #"{id: HB-DB-GIAPDAT, name: "Xã Giáp Đắt", group: "Hòa Bình / Đà Bắc", expected: 40}"#,
    "BK-TU": #"{id: BK-TU, name: "Tỉnh ủy Bắc Kạn", group: "Bắc Kạn", expected: 120}"#,
  ]

  /// The `sites:` entries of `ids` in that order, one a line, indented to sit under a top-level `sites:` key;
  /// by default the three Hòa Bình sites most tests use.
  public static func yaml(_ ids: String...) -> String {
    (ids.isEmpty ? ["HB-TU", "HB-DB-TULY", "HB-MC-HU"] : ids).map { id in
      guard let entry = entries[id] else { preconditionFailure("no site \(id) in TestRoster") }
      return "  - " + entry
    }.joined(separator: "\n")
  }
}
