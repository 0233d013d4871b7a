import ArgumentParser
import BridgeCore
import BridgeField
import Foundation

struct KeysCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "keys",
    abstract: "Give every site a secret and a check-in token; write each site's agent bundle and a printable sheet.",
    discussion: """
      Creates a secret (and a check-in token) for each site of CONFIG that has none, or only for the --site given, \
      and writes the keys file (the config's keys:, or --keys-file) atomically, mode 600 as the monitor asks (an \
      existing file keeps its owner and group). --rotate gives the chosen sites new secrets; their old ones stay valid for \
      --grace, so sites can be switched one by one; a running monitor loads the new file within 2 seconds, no \
      restart. With --bundles DIR, each \
      chosen site gets DIR/<id>/ (agent.yaml, agent.key, bridgewatch-agent.service, README-vi.txt, README-en.txt) \
      and DIR/sheet.html lists every site, with its check-in link <checkin-base>/c/<token> when --checkin-base is \
      given. Secrets are never printed. README "Enrol the sites" walks through it.
      """)

  @Argument(help: "The conference config (YAML).")
  var config: String

  @Option(name: .customLong("keys-file"), help: ArgumentHelp("The keys file to write (default: the config's keys:).", valueName: "path"))
  var keysFile: String?

  @Option(help: ArgumentHelp("Only this site (repeat for several).", valueName: "id"))
  var site: [String] = []

  @Flag(help: "Replace the chosen sites' secrets; the old ones stay valid for --grace.")
  var rotate = false

  @Option(help: ArgumentHelp("How long a rotated site's old secret stays valid (e.g. 48h; 1s to 30 days).", valueName: "duration"))
  var grace = "24h"

  @Option(help: ArgumentHelp("Write one agent bundle per chosen site, and the sheet, into this folder.", valueName: "dir"))
  var bundles: String?

  @Option(
    name: .customLong("checkin-base"),
    help: ArgumentHelp("The check-in page's public address; the sheet prints <url>/c/<token> for each site.", valueName: "url"))
  var checkinBase: String?

  @Option(
    help: ArgumentHelp(
      "The monitor's HOST:PORT as the sites reach it, for the bundles (repeat for a standby; default: udp.listen when it names one host).",
      valueName: "host:port"))
  var monitor: [String] = []

  @OptionGroup var language: LanguageFlag

  func run() throws {
    let strings = language.strings
    guard let graceDuration = DurationText.parse(grace), graceDuration >= .seconds(1), graceDuration <= .seconds(30 * 86_400) else {
      printError("bridgewatch keys: " + strings(.keysBadGrace, grace))
      throw ExitCode(2)
    }
    var options = SiteEnrolment.Options(configPath: config)
    options.keysFile = keysFile
    options.sites = site
    options.rotate = rotate
    options.graceSeconds = Double(graceDuration.components.seconds) + Double(graceDuration.components.attoseconds) / 1e18
    options.bundles = bundles
    options.checkinBase = checkinBase
    options.monitors = monitor
    do {
      for line in try SiteEnrolment.run(options, strings: strings, now: Date().timeIntervalSince1970) { printOutput(line) }
    } catch {
      printError("bridgewatch keys: " + error.description)
      throw ExitCode(1)
    }
  }
}
