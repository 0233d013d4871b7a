import BridgeCore
import BridgePlatform
import Foundation

/// `bridgewatch keys`: reads the config and its keys file, applies a `SiteKeyPlan`, writes the keys file
/// atomically with the permissions the monitor demands, and the bundles and the sheet. Never prints a secret.
public enum SiteEnrolment {
  public struct Options: Sendable {
    public var configPath: String
    public var keysFile: String?
    public var sites: [String] = []
    public var rotate = false
    public var graceSeconds: Double = 24 * 3600
    public var bundles: String?
    public var checkinBase: String?
    public var monitors: [String] = []

    public init(configPath: String) { self.configPath = configPath }
  }

  /// What went wrong, said in the operator's language (config problems keep their file:line).
  public struct Problem: Error, CustomStringConvertible {
    public var description: String
  }

  /// Does the work; returns the lines to print.
  public static func run(_ options: Options, strings: Strings, now: Double) throws(Problem) -> [String] {
    let config: ConferenceConfig
    do {
      config = try ConfigLoader.load(path: options.configPath, keysFile: .mayBeMissing, language: strings.language).config
    } catch {
      throw Problem(description: error.description + "\n" + strings(.keysConfigProblems, options.configPath))
    }
    guard let keysPath = options.keysFile ?? config.keysPath else {
      throw Problem(description: strings(.keysNoKeysFile, options.configPath))
    }
    let known = Set(config.sites.map(\.id))
    for site in options.sites where !known.contains(site) {
      throw Problem(description: strings(.keysUnknownSite, TextSanitizer.printable(site), options.configPath))
    }
    if let base = options.checkinBase, !EnrolmentSheet.isValidCheckinBase(base) {
      throw Problem(description: strings(.keysBadCheckinBase, TextSanitizer.printable(base), String(EnrolmentSheet.checkinBaseLimit)))
    }
    var monitors = options.monitors
    for monitor in monitors where HostPort.parse(monitor).map({ $0.port == 0 }) ?? true {
      throw Problem(description: strings(.keysBadMonitor, TextSanitizer.printable(monitor)))
    }
    if options.bundles != nil && monitors.isEmpty {
      // The listen address is what the sites reach only when it names one host.
      let listen = HostPortText.format(host: config.udp.host, port: config.udp.port)
      guard !["0.0.0.0", "::", "127.0.0.1", "::1", "localhost"].contains(config.udp.host), config.udp.port != 0 else {
        throw Problem(description: strings(.keysNeedMonitor, listen))
      }
      monitors = [listen]
    }
    let existing: [String: SiteKeyEntry]
    do {
      existing = try ConfigLoader.loadSiteKeys(path: keysPath, sites: config.sites, mayBeMissing: true, language: strings.language)
    } catch {
      throw Problem(description: error.description)
    }
    var random = SystemRandomNumberGenerator()
    let selected = options.sites.isEmpty ? nil : Set(options.sites)
    let plan = SiteKeyPlan(
      sites: config.sites, existing: existing, selected: selected, rotate: options.rotate, graceSeconds: options.graceSeconds, now: now,
      random: &random)

    // Mode 600, what the monitor's loader asks for (it warns at anything wider); an existing file keeps its owner
    // and group, so the monitor's user (who must own it to read it) still does after root rewrites it.
    let mode: mode_t = 0o600
    var info = stat()
    let existed = stat(keysPath, &info) == 0
    try write(plan.keysFileText(writtenAt: now), to: keysPath, mode: mode, strings: strings)
    if existed && (info.st_uid != getuid() || info.st_gid != getgid()) { _ = chown(keysPath, info.st_uid, info.st_gid) }

    var lines = [
      strings(
        .keysWritten, keysPath, strings.number(plan.entries.count), strings.number(plan.created.count), strings.number(plan.kept),
        String(mode, radix: 8))
    ]
    if let ends = plan.graceEnds {
      lines.append(
        strings(
          .keysRotated, strings.number(plan.rotated.count), SiteKeyEntry.utcText(ends), DurationText.format(.seconds(options.graceSeconds)))
      )
    }
    if let folder = options.bundles {
      let chosen = plan.entries.filter { selected?.contains($0.site.id) ?? true }
      try makeFolder(folder, mode: 0o700, strings: strings)
      for (site, entry) in chosen {
        let siteFolder = PathText.join(folder, site.id)
        try makeFolder(siteFolder, mode: 0o700, narrowingExisting: true, strings: strings)
        let link = options.checkinBase.flatMap { base in entry.checkinToken.map { EnrolmentSheet.checkinLink(base: base, token: $0) } }
        for file in AgentBundle.files(
          site: site, secret: entry.secret, monitors: monitors, interval: config.timing.interval, conference: config.title,
          checkinLink: link)
        {
          try write(file.text, to: PathText.join(siteFolder, file.name), mode: mode_t(file.mode), strings: strings)
        }
      }
      let sheet = PathText.join(folder, "sheet.html")
      try write(
        EnrolmentSheet.html(title: config.title, entries: plan.entries, checkinBase: options.checkinBase, writtenAt: now), to: sheet,
        mode: 0o600, strings: strings)
      lines.append(strings(.keysBundles, strings.number(chosen.count), folder))
      lines.append(strings(.keysSheet, sheet))
    }
    lines.append(strings(.keysSecretsNotShown))
    return lines
  }

  private static func write(_ text: String, to path: String, mode: mode_t, strings: Strings) throws(Problem) {
    do {
      try AtomicFile.write(text, to: path, mode: mode)
    } catch {
      throw Problem(description: strings(.keysCannotWrite, path, String(cString: strerror(error.errno))))
    }
    // open() applied the umask: the mode is set exactly, so a key is never wider or narrower than said.
    if chmod(path, mode) != 0 { throw Problem(description: strings(.keysCannotWrite, path, String(cString: strerror(errno)))) }
  }

  /// `narrowingExisting`: a site's folder that exists is narrowed to `mode` too (it holds the site's key); the
  /// folder named by --bundles is not (it may be any folder of the user's: what it gets is mode 600 or a 700 folder).
  private static func makeFolder(_ path: String, mode: mode_t, narrowingExisting: Bool = false, strings: Strings) throws(Problem) {
    var info = stat()
    if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
      if narrowingExisting, chmod(path, mode) != 0 {
        throw Problem(description: strings(.keysCannotWrite, path, String(cString: strerror(errno))))
      }
      return
    }
    if mkdir(path, mode) != 0 { throw Problem(description: strings(.keysCannotWrite, path, String(cString: strerror(errno)))) }
    _ = chmod(path, mode)
  }
}
