import BridgeCore
import Foundation

/// Rosters for `bridgewatch demo`: the bundled Hòa Bình province, or a generated national conference.
public enum DemoRoster {
  /// The 63 provinces and centrally-run cities (before the 2025 merger), as the control room writes them.
  public static let provinces: [(name: String, isCity: Bool)] = [
    ("Hà Nội", true), ("TP Hồ Chí Minh", true), ("Hải Phòng", true), ("Đà Nẵng", true), ("Cần Thơ", true),
    ("An Giang", false), ("Bà Rịa - Vũng Tàu", false), ("Bắc Giang", false), ("Bắc Kạn", false), ("Bạc Liêu", false),
    ("Bắc Ninh", false), ("Bến Tre", false), ("Bình Định", false), ("Bình Dương", false), ("Bình Phước", false),
    ("Bình Thuận", false), ("Cà Mau", false), ("Cao Bằng", false), ("Đắk Lắk", false), ("Đắk Nông", false),
    ("Điện Biên", false), ("Đồng Nai", false), ("Đồng Tháp", false), ("Gia Lai", false), ("Hà Giang", false),
    ("Hà Nam", false), ("Hà Tĩnh", false), ("Hải Dương", false), ("Hậu Giang", false), ("Hòa Bình", false),
    ("Hưng Yên", false), ("Khánh Hòa", false), ("Kiên Giang", false), ("Kon Tum", false), ("Lai Châu", false),
    ("Lâm Đồng", false), ("Lạng Sơn", false), ("Lào Cai", false), ("Long An", false), ("Nam Định", false),
    ("Nghệ An", false), ("Ninh Bình", false), ("Ninh Thuận", false), ("Phú Thọ", false), ("Phú Yên", false),
    ("Quảng Bình", false), ("Quảng Nam", false), ("Quảng Ngãi", false), ("Quảng Ninh", false), ("Quảng Trị", false),
    ("Sóc Trăng", false), ("Sơn La", false), ("Tây Ninh", false), ("Thái Bình", false), ("Thái Nguyên", false),
    ("Thanh Hóa", false), ("Thừa Thiên Huế", false), ("Tiền Giang", false), ("Trà Vinh", false), ("Tuyên Quang", false),
    ("Vĩnh Long", false), ("Vĩnh Phúc", false), ("Yên Bái", false),
  ]

  /// Syllables common in Vietnamese district and commune names; two of them make a plausible name.
  static let syllables = [
    "An", "Bình", "Hòa", "Phú", "Tân", "Thạnh", "Long", "Mỹ", "Đông", "Tây", "Nam", "Bắc", "Thịnh", "Hưng", "Lộc",
    "Phước", "Thuận", "Quang", "Minh", "Đức", "Hiệp", "Lợi", "Sơn", "Hải", "Thành", "Trung", "Vĩnh", "Xuân", "Yên", "Kim",
    "Lạc", "Ngọc", "Phong", "Tiến", "Thắng", "Hồng", "Cẩm", "Đồng", "Gia", "Hà",
  ]

  /// The site id prefix of a province: the initials of its name without diacritics ("Bà Rịa - Vũng Tàu" → BRVT).
  public static func code(of province: String) -> String {
    String(
      province.split(separator: " ").compactMap { word in
        word.first.flatMap { TextFolding.asciiLetter($0) }
      })
  }

  /// A national roster of `count` sites across the 63 provinces: each has its provincial hall, then district
  /// halls with their communes and wards under them. Deterministic.
  public static func national(sites count: Int, heartbeatDirectory: String) -> [SiteConfig] {
    var result: [SiteConfig] = []
    result.reserveCapacity(count)
    var usedCodes: Set<String> = []
    for (position, province) in provinces.enumerated() {
      let share = count / provinces.count + (position < count % provinces.count ? 1 : 0)
      guard share > 0 else { continue }
      var code = code(of: province.name)
      while usedCodes.contains(code) { code += "X" }
      usedCodes.insert(code)
      let hallName = (province.isCity ? "Thành ủy " : "Tỉnh ủy ") + province.name.replacingOccurrences(of: "TP ", with: "")
      func add(_ id: String, _ name: String, _ group: [String], _ expected: Int) {
        result.append(
          SiteConfig(
            id: id, name: name, group: group, expected: expected,
            heartbeatFile: PathText.join(heartbeatDirectory, id + ".hb")))
      }
      let seed = UInt64(position)
      add("\(code)-TU", hallName, [province.name], 150 + Int(SimRandom.hash(seed, 1) % 150))
      let remaining = share - 1
      guard remaining > 0 else { continue }
      let districtCount = max(1, Int(Double(remaining).squareRoot().rounded()))
      var districtNames: [String] = []
      var attempt: UInt64 = 0
      while districtNames.count < districtCount {
        let name = twoSyllables(SimRandom.hash(seed, 2, attempt))
        attempt += 1
        if !districtNames.contains(name) || attempt > 5000 { districtNames.append(name) }
      }
      for district in 0..<districtCount {
        let size = remaining / districtCount + (district < remaining % districtCount ? 1 : 0)
        let group = [province.name, districtNames[district]]
        let districtCode = "\(code)-D\(district + 1 < 10 ? "0" : "")\(district + 1)"
        for member in 0..<size {
          let key = SimRandom.hash(seed, 3, UInt64(district), UInt64(member))
          if member == 0 {
            let kind = province.isCity ? "Quận ủy " : "Huyện ủy "
            add("\(districtCode)-HU", kind + districtNames[district], group, 60 + Int(key % 90))
          } else {
            let kind = key % 10 < 7 ? "Xã " : "Phường "
            let number = member < 10 ? "0\(member)" : "\(member)"
            add("\(districtCode)-\(number)", kind + twoSyllables(key >> 8), group, 25 + Int(key % 36))
          }
        }
      }
    }
    return result
  }

  static func twoSyllables(_ random: UInt64) -> String {
    let first = syllables[Int(random % UInt64(syllables.count))]
    var second = syllables[Int((random >> 16) % UInt64(syllables.count))]
    if second == first { second = syllables[(syllables.firstIndex(of: first)! + 1) % syllables.count] }
    return first + " " + second
  }
}

/// Letters without diacritics, for ids made from Vietnamese names.
enum TextFolding {
  static func asciiLetter(_ character: Character) -> Character? {
    let base = String(character).decomposedStringWithCanonicalMapping.unicodeScalars.first.map(Character.init)
    if character == "Đ" || character == "đ" { return "D" }
    guard let base, base.isASCII, base.isLetter else { return nil }
    return Character(base.uppercased())
  }
}
