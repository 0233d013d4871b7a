import BridgeCore

/// One site's agent bundle, `<dir>/<site-id>/`: the agent's settings, its key, its systemd unit, and a one-page
/// instruction in Vietnamese and English with the exact commands. The paths are the ones the Debian package and its
/// units use (README "Enrol the sites"): nothing here may drift from them.
public enum AgentBundle {
  public static let binary = "/usr/bin/bridgewatch"
  public static let settingsPath = "/etc/bridgewatch/agent.yaml"
  public static let keyPath = "/etc/bridgewatch/agent.key"
  public static let countFolder = "/var/lib/bridgewatch"
  public static let countPath = "/var/lib/bridgewatch/count.txt"
  public static let unitName = "bridgewatch-agent.service"

  public struct File: Sendable, Equatable {
    public var name: String
    public var text: String
    /// Permissions in the bundle: the key is the site's secret (0600); the rest is readable.
    public var mode: UInt32
  }

  /// What a site's bundle holds. `monitors` as the site reaches them (HOST:PORT); `checkinLink` when a check-in
  /// base was given.
  public static func files(
    site: SiteConfig, secret: String, monitors: [String], interval: Duration, conference: String, checkinLink: String?
  ) -> [File] {
    [
      File(name: "agent.yaml", text: settings(site: site, monitors: monitors, interval: interval), mode: 0o644),
      File(name: "agent.key", text: secret + "\n", mode: 0o600),
      File(name: unitName, text: unit, mode: 0o644),
      File(
        name: "README-vi.txt",
        text: instructions(.vi, site: site, monitors: monitors, interval: interval, conference: conference, checkinLink: checkinLink),
        mode: 0o644),
      File(
        name: "README-en.txt",
        text: instructions(.en, site: site, monitors: monitors, interval: interval, conference: conference, checkinLink: checkinLink),
        mode: 0o644),
    ]
  }

  /// The agent's settings file: every key `bridgewatch agent --config` reads, with the package's paths.
  static func settings(site: SiteConfig, monitors: [String], interval: Duration) -> String {
    let monitorList = monitors.map { "\"\($0)\"" }.joined(separator: ", ")
    return """
      # BridgeWatch agent settings for \(site.id) (\(site.name)); written by `bridgewatch keys`.
      # Installed as \(settingsPath); README-vi.txt and README-en.txt say how.
      site: "\(site.id)"
      monitor: [\(monitorList)]
      key_file: \(keyPath)
      count_file: \(countPath)
      interval: \(DurationText.format(interval))
      lang: vi

      """
  }

  /// The agent's unit, exactly the Debian package's (packaging/debian/bridgewatch-agent.service; a test holds them
  /// equal): a bundle installed on a host without the package gets the same one.
  static let unit = """
    [Unit]
    Description=BridgeWatch agent (heartbeats to the conference monitor)
    Documentation=man:bridgewatch-agent(1)
    After=network-online.target
    Wants=network-online.target

    [Service]
    User=bridgewatch
    Group=bridgewatch
    # The count file's group: the site's staff who type the headcount are in it too.
    SupplementaryGroups=bridgewatch-count
    ExecStart=\(binary) agent --config \(settingsPath)
    Restart=always
    RestartSec=2
    # The agent only reads (its settings, its key file, the count file); nothing is writable.
    ProtectSystem=strict
    ProtectHome=yes
    PrivateTmp=yes
    PrivateDevices=yes
    NoNewPrivileges=yes
    ProtectKernelTunables=yes
    ProtectKernelModules=yes
    ProtectControlGroups=yes
    RestrictSUIDSGID=yes
    LockPersonality=yes
    CapabilityBoundingSet=
    RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK

    [Install]
    WantedBy=multi-user.target

    """

  /// The commands a site's technician types, as root, in the bundle's folder; README "Enrol the sites" runs them
  /// (with its paths under a test root).
  public static let installCommands = [
    "install -d -m 0755 /etc/bridgewatch",
    "install -o root -g root -m 0644 agent.yaml \(settingsPath)",
    "install -o root -g bridgewatch -m 0640 agent.key \(keyPath)",
    "install -d -o bridgewatch -g bridgewatch-count -m 2775 \(countFolder)",
    "install -o bridgewatch -g bridgewatch-count -m 0664 /dev/null \(countPath)",
    "install -o root -g root -m 0644 \(unitName) /etc/systemd/system/\(unitName)",
    "systemctl daemon-reload",
    "systemctl enable --now bridgewatch-agent",
  ]

  static func instructions(
    _ language: Language, site: SiteConfig, monitors: [String], interval: Duration, conference: String, checkinLink: String?
  )
    -> String
  {
    let commands = installCommands.map { "   " + $0 }
    let monitorsText = monitors.joined(separator: ", ")
    let group = site.group.joined(separator: " / ")
    switch language {
    case .vi:
      return """
        BridgeWatch - phần mềm báo trạng thái cho điểm cầu \(site.id): \(site.name) (\(group))
        Hội nghị: \(conference)

        Thư mục này gồm: agent.yaml (cấu hình), agent.key (khóa bí mật của điểm cầu: không gửi cho ai),
        bridgewatch-agent.service (dịch vụ systemd). Trên máy Linux của điểm cầu, với quyền root, trong thư mục này:

        1. Cài BridgeWatch (tạo người dùng bridgewatch và các nhóm bridgewatch, bridgewatch-count):
           apt install ./bridgewatch_*.deb
        2. Cài cấu hình, khóa, tệp quân số và dịch vụ, rồi chạy:
        \(commands[0...7].joined(separator: "\n"))
        3. Cho cán bộ của điểm cầu ghi được tệp quân số (thay TEN bằng tên đăng nhập; đăng nhập lại sau đó):
           usermod -a -G bridgewatch-count TEN
        4. Kiểm tra: journalctl -u bridgewatch-agent -n 20 phải có dòng "đã kết nối: máy giám sát xác nhận ...".

        Trong hội nghị: gõ số người trong phòng vào tệp \(countPath), chỉ một số (148, hoặc 1.234).
        Phần mềm gửi số này trong vòng \(DurationText.format(interval)). Nếu tệp sai (148 người, 45,5, để trống), phòng điều hành thấy
        "không đọc được tệp quân số": hãy sửa lại tệp.
        Máy giám sát: \(monitorsText) (UDP).\(checkinLink.map { "\nĐường dẫn điểm danh (dùng điện thoại khi máy tính gặp sự cố): \($0)" } ?? "")
        Gặp sự cố: gọi phòng điều hành.

        """
    case .en:
      return """
        BridgeWatch agent for site \(site.id): \(site.name) (\(group))
        Conference: \(conference)

        This folder holds agent.yaml (the settings), agent.key (this site's secret: never send it on),
        bridgewatch-agent.service (the systemd unit). On the site's Linux PC, as root, in this folder:

        1. Install BridgeWatch (creates the user bridgewatch and the groups bridgewatch and bridgewatch-count):
           apt install ./bridgewatch_*.deb
        2. Install the settings, the key, the count file and the service, and start it:
        \(commands[0...7].joined(separator: "\n"))
        3. Let the site's staff write the count file (TEN is each one's login; they log in again after):
           usermod -a -G bridgewatch-count TEN
        4. Check: journalctl -u bridgewatch-agent -n 20 shows "connected: the monitor acknowledged ...".

        During the conference: type the number of people in the room into \(countPath), one number only
        (148, or 1.234). The agent sends it within \(DurationText.format(interval)). A value it refuses (148 người, 45,5, empty) shows in
        the control room as "count file unreadable": fix the file.
        Monitor: \(monitorsText) (UDP).\(checkinLink.map { "\nCheck-in link (on a phone, if the PC fails): \($0)" } ?? "")
        Problems: call the control room.

        """
    }
  }
}
