import BridgeCore

/// A national conference shaped like the one of 7 February 2026 (31,097 bridge points, about 1.93 million
/// attendees): the 34 provinces and cities of the 2025 reform, each with its provincial hall and its communes,
/// wards and special zones (no districts), several points per commune; the central agencies, the army and the
/// police as groups of their own. Deterministic; any size from one site up.
extension DemoRoster {
  /// The 34 provinces and centrally-run cities since 1 July 2025, with roughly how many communes, wards and special
  /// zones each has (used as weights: the roster spreads its communes in these proportions) and its special zones.
  public static let provinces2026: [(name: String, isCity: Bool, communes: Int, specialZones: [String])] = [
    ("Hà Nội", true, 126, []), ("TP Hồ Chí Minh", true, 168, ["Côn Đảo"]), ("Hải Phòng", true, 114, ["Cát Hải", "Bạch Long Vĩ"]),
    ("Đà Nẵng", true, 94, ["Hoàng Sa"]), ("Huế", true, 40, []), ("Cần Thơ", true, 103, []),
    ("An Giang", false, 102, ["Phú Quốc", "Kiên Hải", "Thổ Châu"]), ("Bắc Ninh", false, 99, []), ("Cà Mau", false, 64, []),
    ("Cao Bằng", false, 56, []), ("Đắk Lắk", false, 102, []), ("Điện Biên", false, 45, []), ("Đồng Nai", false, 95, []),
    ("Đồng Tháp", false, 102, []), ("Gia Lai", false, 135, []), ("Hà Tĩnh", false, 69, []), ("Hưng Yên", false, 104, []),
    ("Khánh Hòa", false, 65, ["Trường Sa"]), ("Lai Châu", false, 38, []), ("Lâm Đồng", false, 124, ["Phú Quý"]),
    ("Lạng Sơn", false, 65, []), ("Lào Cai", false, 99, []), ("Nghệ An", false, 130, []), ("Ninh Bình", false, 129, []),
    ("Phú Thọ", false, 148, []), ("Quảng Ngãi", false, 96, ["Lý Sơn"]), ("Quảng Ninh", false, 54, ["Vân Đồn", "Cô Tô"]),
    ("Quảng Trị", false, 78, ["Cồn Cỏ"]), ("Sơn La", false, 75, []), ("Tây Ninh", false, 96, []),
    ("Thái Nguyên", false, 92, []), ("Thanh Hóa", false, 166, []), ("Tuyên Quang", false, 124, []),
    ("Vĩnh Long", false, 124, []),
  ]

  /// The groups beside the provinces, each with its units (a unit is a sub-group of several points).
  public static let centralGroups: [(name: String, code: String, units: [String])] = [
    (
      "Cơ quan Trung ương", "TW",
      [
        "Văn phòng Trung ương Đảng", "Ban Tổ chức Trung ương", "Ban Tuyên giáo và Dân vận Trung ương", "Ủy ban Kiểm tra Trung ương",
        "Văn phòng Quốc hội", "Văn phòng Chủ tịch nước", "Văn phòng Chính phủ", "Bộ Tài chính", "Bộ Công Thương", "Bộ Xây dựng",
        "Bộ Nông nghiệp và Môi trường", "Bộ Khoa học và Công nghệ", "Bộ Giáo dục và Đào tạo", "Bộ Y tế",
        "Bộ Văn hóa, Thể thao và Du lịch", "Bộ Nội vụ", "Bộ Tư pháp", "Bộ Ngoại giao", "Bộ Dân tộc và Tôn giáo",
        "Ngân hàng Nhà nước Việt Nam", "Thanh tra Chính phủ", "Tòa án nhân dân tối cao", "Viện kiểm sát nhân dân tối cao",
        "Kiểm toán Nhà nước", "Ủy ban Trung ương Mặt trận Tổ quốc Việt Nam", "Đài Truyền hình Việt Nam", "Báo Nhân Dân",
        "Tập đoàn Điện lực Việt Nam", "Tập đoàn Công nghiệp - Năng lượng Quốc gia Việt Nam", "Đại học Quốc gia Hà Nội",
      ]
    ),
    (
      "Quân đội", "QD",
      [
        "Bộ Quốc phòng", "Quân khu 1", "Quân khu 2", "Quân khu 3", "Quân khu 4", "Quân khu 5", "Quân khu 7", "Quân khu 9",
        "Bộ Tư lệnh Thủ đô Hà Nội", "Quân đoàn 12", "Quân đoàn 34", "Quân chủng Hải quân", "Quân chủng Phòng không - Không quân",
        "Bộ đội Biên phòng", "Cảnh sát biển Việt Nam", "Tập đoàn Công nghiệp - Viễn thông Quân đội",
      ]
    ),
    (
      "Công an", "CA",
      [
        "Bộ Công an", "Bộ Tư lệnh Cảnh sát cơ động", "Cục An ninh mạng", "Cục Cảnh sát giao thông", "Học viện An ninh nhân dân",
        "Học viện Cảnh sát nhân dân",
      ]
    ),
  ]

  /// Shares of the roster: central agencies, army and police; the rest are the provinces.
  static let centralShares = [0.02, 0.03, 0.03]

  public static func conference2026(sites count: Int, heartbeatDirectory: String) -> [SiteConfig] {
    var result: [SiteConfig] = []
    result.reserveCapacity(count)
    func add(_ id: String, _ name: String, _ group: [String], _ expected: Int) {
      result.append(
        SiteConfig(id: id, name: name, group: group, expected: expected, heartbeatFile: PathText.join(heartbeatDirectory, id + ".hb")))
    }
    let central = centralShares.map { Int(Double(count) * $0) }
    let provinceSites = count - central.reduce(0, +)
    let provinceCount = min(provinces2026.count, provinceSites)
    // One commune per about 8.6 points beyond the provincial halls, as in February 2026 (28,600 points in 3,321).
    let totalCommunes = max(0, min(provinces2026.map(\.communes).reduce(0, +), (provinceSites - provinceCount) * 10 / 86))
    let weights = provinces2026.prefix(provinceCount).map(\.communes)
    let communesOf = spread(totalCommunes, by: weights)
    let sitesOf = spread(provinceSites - provinceCount, by: totalCommunes > 0 ? communesOf : Array(weights))
    var usedCodes: Set<String> = []
    for position in 0..<provinceCount {
      let province = provinces2026[position]
      var code = code(of: province.name)
      while usedCodes.contains(code) { code += "X" }
      usedCodes.insert(code)
      let seed = UInt64(1000 + position)
      let shortName = province.name.replacingOccurrences(of: "TP ", with: "")
      add("\(code)-TU", (province.isCity ? "Thành ủy " : "Tỉnh ủy ") + shortName, [province.name], 300 + Int(SimRandom.hash(seed, 1) % 300))
      let communes = communeNames(province: province, count: communesOf[position], seed: seed)
      guard !communes.isEmpty else {
        // Too few points for communes: the province's points stand directly under it.
        for member in 0..<sitesOf[position] {
          add(
            "\(code)-\(number(member + 1, digits: 3))", "Điểm cầu \(member + 1)", [province.name],
            30 + Int(SimRandom.hash(seed, 2, UInt64(member)) % 40))
        }
        continue
      }
      let perCommune = spread(sitesOf[position], by: communes.map { _ in 1 })
      for (index, commune) in communes.enumerated() {
        let communeCode = "\(code)-\(number(index + 1, digits: 3))"
        let group = [province.name, commune.name]
        for member in 0..<perCommune[index] {
          let key = SimRandom.hash(seed, 3, UInt64(index), UInt64(member))
          if member == 0 {
            add(communeCode + "-DU", "Đảng ủy " + commune.name.lowercasedFirstWord(), group, 90 + Int(key % 110))
          } else {
            let cell =
              switch commune.kind {
              case .ward: "Chi bộ tổ dân phố \(member)"
              case .specialZone: "Chi bộ \(member)"
              case .commune: "Chi bộ thôn " + twoSyllables(key >> 8)
              }
            add("\(communeCode)-\(number(member, digits: 2))", cell, group, 22 + Int(key % 49))
          }
        }
      }
    }
    for (position, part) in centralGroups.enumerated() where central[position] > 0 {
      let perUnit = spread(central[position], by: part.units.prefix(central[position]).map { _ in 1 })
      for (unitIndex, unit) in part.units.prefix(perUnit.count).enumerated() {
        let unitCode = "\(part.code)-\(number(unitIndex + 1, digits: 2))"
        for member in 0..<perUnit[unitIndex] {
          let key = SimRandom.hash(UInt64(2000 + position), UInt64(unitIndex), UInt64(member))
          let name = member == 0 ? unit : "\(unit) - điểm cầu \(member + 1)"
          add(
            "\(unitCode)-\(number(member + 1, digits: 2))", name, [part.name, unit],
            member == 0 ? 150 + Int(key % 250) : 40 + Int(key % 120))
        }
      }
    }
    return result
  }

  enum CommuneKind { case commune, ward, specialZone }

  /// `count` distinct names: the province's special zones first, then wards (a third in a city, a tenth elsewhere)
  /// and communes.
  static func communeNames(province: (name: String, isCity: Bool, communes: Int, specialZones: [String]), count: Int, seed: UInt64)
    -> [(name: String, kind: CommuneKind)]
  {
    var names: [(name: String, kind: CommuneKind)] = province.specialZones.prefix(count).map { ("Đặc khu " + $0, .specialZone) }
    var used = Set(names.map(\.name))
    var attempt: UInt64 = 0
    while names.count < count {
      let key = SimRandom.hash(seed, 4, attempt)
      attempt += 1
      let isWard = key % 100 < (province.isCity ? 60 : 12)
      var name = (isWard ? "Phường " : "Xã ") + twoSyllables(key >> 8)
      // Past the names two syllables give, a number keeps them apart.
      if attempt > 4 * 1600 { name += " \(names.count + 1)" }
      if used.insert(name).inserted { names.append((name, isWard ? .ward : .commune)) }
    }
    return names
  }

  /// `total` shared out in proportion to `weights` (largest remainders; the sum is exact).
  static func spread(_ total: Int, by weights: [Int]) -> [Int] {
    let weightSum = weights.reduce(0, +)
    guard total > 0, weightSum > 0 else { return weights.map { _ in 0 } }
    var shares = weights.map { total * $0 / weightSum }
    let remainders = weights.indices.sorted { (total * weights[$0] % weightSum, -$0) > (total * weights[$1] % weightSum, -$1) }
    for index in remainders.prefix(total - shares.reduce(0, +)) { shares[index] += 1 }
    return shares
  }

  static func number(_ value: Int, digits: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
  }
}

extension String {
  /// "Xã Tân Lạc" -> "xã Tân Lạc": the kind word in lower case after another word ("Đảng ủy xã Tân Lạc").
  func lowercasedFirstWord() -> String {
    guard let space = firstIndex(of: " ") else { return self }
    return self[..<space].lowercased() + self[space...]
  }
}
