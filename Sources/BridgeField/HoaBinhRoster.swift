// Generated from examples/hoa-binh.yaml; a test keeps the two identical.
// swift-format-ignore-file

extension DemoRoster {
  /// examples/hoa-binh.yaml, built in so `bridgewatch demo` needs no files.
  public static let hoaBinhYAML = """
    # Hòa Bình province: the provincial hall and 60 points under its ten district-level units.
    # Used by `bridgewatch check examples/hoa-binh.yaml` and, without files, by `bridgewatch demo`.
    title: "Hội nghị trực tuyến toàn quốc quán triệt Nghị quyết Đại hội XIII"
    timing:
      interval: 5s        # expected heartbeat period
      late_after: 12s     # no heartbeat for this long: LATE
      offline_after: 30s  # no heartbeat for this long: OFFLINE
      recover_after: 2    # consecutive fresh heartbeats needed to leave OFFLINE
    udp:
      listen: 0.0.0.0:7400
      require_auth: false
    heartbeat_dir: heartbeats
    journal: bridgewatch.journal
    theme: default
    sites:
      - id: HB-TU
        name: "Tỉnh ủy Hòa Bình"
        group: "Hòa Bình"
        expected: 150
        contact: "Văn phòng Tỉnh ủy, anh Hùng 0900 000 101"
      - id: HB-TPHB-TU
        name: "Thành ủy Hòa Bình"
        group: "Hòa Bình / Thành phố Hòa Bình"
        expected: 108
        contact: "Văn phòng Thành ủy, chị Mai 0900 000 102"
      - id: HB-TPHB-PHUONGLAM
        name: "Phường Phương Lâm"
        group: "Hòa Bình / Thành phố Hòa Bình"
        expected: 46
      - id: HB-TPHB-DONGTIEN
        name: "Phường Đồng Tiến"
        group: "Hòa Bình / Thành phố Hòa Bình"
        expected: 52
      - id: HB-TPHB-TANTHINH
        name: "Phường Tân Thịnh"
        group: "Hòa Bình / Thành phố Hòa Bình"
        expected: 56
      - id: HB-TPHB-THAIBINH
        name: "Phường Thái Bình"
        group: "Hòa Bình / Thành phố Hòa Bình"
        expected: 43
      - id: HB-TPHB-HOABINH
        name: "Xã Hòa Bình"
        group: "Hòa Bình / Thành phố Hòa Bình"
        expected: 43
      - id: HB-DB-HU
        name: "Huyện ủy Đà Bắc"
        group: "Hòa Bình / Đà Bắc"
        expected: 119
      - id: HB-DB-TTDABAC
        name: "Thị trấn Đà Bắc"
        group: "Hòa Bình / Đà Bắc"
        expected: 43
      - id: HB-DB-TULY
        name: "Xã Tú Lý"
        group: "Hòa Bình / Đà Bắc"
        expected: 49
      - id: HB-DB-CAOSON
        name: "Xã Cao Sơn"
        group: "Hòa Bình / Đà Bắc"
        expected: 54
      - id: HB-DB-MUONGCHIENG
        name: "Xã Mường Chiềng"
        group: "Hòa Bình / Đà Bắc"
        expected: 43
      - id: HB-DB-HIENLUONG
        name: "Xã Hiền Lương"
        group: "Hòa Bình / Đà Bắc"
        expected: 54
      - id: HB-LS-HU
        name: "Huyện ủy Lương Sơn"
        group: "Hòa Bình / Lương Sơn"
        expected: 103
      - id: HB-LS-TTLUONGSON
        name: "Thị trấn Lương Sơn"
        group: "Hòa Bình / Lương Sơn"
        expected: 43
      - id: HB-LS-CUYEN
        name: "Xã Cư Yên"
        group: "Hòa Bình / Lương Sơn"
        expected: 43
      - id: HB-LS-HOASON
        name: "Xã Hòa Sơn"
        group: "Hòa Bình / Lương Sơn"
        expected: 52
      - id: HB-LS-LAMSON
        name: "Xã Lâm Sơn"
        group: "Hòa Bình / Lương Sơn"
        expected: 52
      - id: HB-LS-NHUANTRACH
        name: "Xã Nhuận Trạch"
        group: "Hòa Bình / Lương Sơn"
        expected: 43
      - id: HB-KB-HU
        name: "Huyện ủy Kim Bôi"
        group: "Hòa Bình / Kim Bôi"
        expected: 103
      - id: HB-KB-TTBO
        name: "Thị trấn Bo"
        group: "Hòa Bình / Kim Bôi"
        expected: 43
      - id: HB-KB-VINHTIEN
        name: "Xã Vĩnh Tiến"
        group: "Hòa Bình / Kim Bôi"
        expected: 54
      - id: HB-KB-HOPTIEN
        name: "Xã Hợp Tiến"
        group: "Hòa Bình / Kim Bôi"
        expected: 52
      - id: HB-KB-KIMLAP
        name: "Xã Kim Lập"
        group: "Hòa Bình / Kim Bôi"
        expected: 43
      - id: HB-KB-NAMTHUONG
        name: "Xã Nam Thượng"
        group: "Hòa Bình / Kim Bôi"
        expected: 60
      - id: HB-CP-HU
        name: "Huyện ủy Cao Phong"
        group: "Hòa Bình / Cao Phong"
        expected: 119
      - id: HB-CP-TTCAOPHONG
        name: "Thị trấn Cao Phong"
        group: "Hòa Bình / Cao Phong"
        expected: 43
      - id: HB-CP-THUPHONG
        name: "Xã Thu Phong"
        group: "Hòa Bình / Cao Phong"
        expected: 46
      - id: HB-CP-BACPHONG
        name: "Xã Bắc Phong"
        group: "Hòa Bình / Cao Phong"
        expected: 56
      - id: HB-CP-TANPHONG
        name: "Xã Tân Phong"
        group: "Hòa Bình / Cao Phong"
        expected: 56
      - id: HB-CP-XUANPHONG
        name: "Xã Xuân Phong"
        group: "Hòa Bình / Cao Phong"
        expected: 54
      - id: HB-TL-HU
        name: "Huyện ủy Tân Lạc"
        group: "Hòa Bình / Tân Lạc"
        expected: 98
      - id: HB-TL-TTMANDUC
        name: "Thị trấn Mãn Đức"
        group: "Hòa Bình / Tân Lạc"
        expected: 54
      - id: HB-TL-PHONGPHU
        name: "Xã Phong Phú"
        group: "Hòa Bình / Tân Lạc"
        expected: 54
      - id: HB-TL-TUNE
        name: "Xã Tử Nê"
        group: "Hòa Bình / Tân Lạc"
        expected: 52
      - id: HB-TL-QUYHAU
        name: "Xã Quy Hậu"
        group: "Hòa Bình / Tân Lạc"
        expected: 43
      - id: HB-TL-NGOCMY
        name: "Xã Ngọc Mỹ"
        group: "Hòa Bình / Tân Lạc"
        expected: 46
      - id: HB-MC-HU
        name: "Huyện ủy Mai Châu"
        group: "Hòa Bình / Mai Châu"
        expected: 98
      - id: HB-MC-TTMAICHAU
        name: "Thị trấn Mai Châu"
        group: "Hòa Bình / Mai Châu"
        expected: 54
      - id: HB-MC-CHIENGCHAU
        name: "Xã Chiềng Châu"
        group: "Hòa Bình / Mai Châu"
        expected: 60
      - id: HB-MC-PACO
        name: "Xã Pà Cò"
        group: "Hòa Bình / Mai Châu"
        expected: 46
      - id: HB-MC-VANMAI
        name: "Xã Vạn Mai"
        group: "Hòa Bình / Mai Châu"
        expected: 49
      - id: HB-MC-TANTHANH
        name: "Xã Tân Thành"
        group: "Hòa Bình / Mai Châu"
        expected: 52
      - id: HB-LSO-HU
        name: "Huyện ủy Lạc Sơn"
        group: "Hòa Bình / Lạc Sơn"
        expected: 103
      - id: HB-LSO-TTVUBAN
        name: "Thị trấn Vụ Bản"
        group: "Hòa Bình / Lạc Sơn"
        expected: 54
      - id: HB-LSO-NHANNGHIA
        name: "Xã Nhân Nghĩa"
        group: "Hòa Bình / Lạc Sơn"
        expected: 43
      - id: HB-LSO-ANNGHIA
        name: "Xã Ân Nghĩa"
        group: "Hòa Bình / Lạc Sơn"
        expected: 54
      - id: HB-LSO-YENPHU
        name: "Xã Yên Phú"
        group: "Hòa Bình / Lạc Sơn"
        expected: 49
      - id: HB-LSO-VANSON
        name: "Xã Văn Sơn"
        group: "Hòa Bình / Lạc Sơn"
        expected: 54
      - id: HB-YT-HU
        name: "Huyện ủy Yên Thủy"
        group: "Hòa Bình / Yên Thủy"
        expected: 103
      - id: HB-YT-TTHANGTRAM
        name: "Thị trấn Hàng Trạm"
        group: "Hòa Bình / Yên Thủy"
        expected: 43
      - id: HB-YT-LACTHINH
        name: "Xã Lạc Thịnh"
        group: "Hòa Bình / Yên Thủy"
        expected: 54
      - id: HB-YT-BAOHIEU
        name: "Xã Bảo Hiệu"
        group: "Hòa Bình / Yên Thủy"
        expected: 54
      - id: HB-YT-NGOCLUONG
        name: "Xã Ngọc Lương"
        group: "Hòa Bình / Yên Thủy"
        expected: 56
      - id: HB-YT-PHULAI
        name: "Xã Phú Lai"
        group: "Hòa Bình / Yên Thủy"
        expected: 46
      - id: HB-LT-HU
        name: "Huyện ủy Lạc Thủy"
        group: "Hòa Bình / Lạc Thủy"
        expected: 108
      - id: HB-LT-TTCHINE
        name: "Thị trấn Chi Nê"
        group: "Hòa Bình / Lạc Thủy"
        expected: 43
      - id: HB-LT-TTBAHANGDOI
        name: "Thị trấn Ba Hàng Đồi"
        group: "Hòa Bình / Lạc Thủy"
        expected: 54
      - id: HB-LT-PHUNGHIA
        name: "Xã Phú Nghĩa"
        group: "Hòa Bình / Lạc Thủy"
        expected: 56
      - id: HB-LT-HUNGTHI
        name: "Xã Hưng Thi"
        group: "Hòa Bình / Lạc Thủy"
        expected: 43
      - id: HB-LT-ANBINH
        name: "Xã An Bình"
        group: "Hòa Bình / Lạc Thủy"
        expected: 54

    """
}
