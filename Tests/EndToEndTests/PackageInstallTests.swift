import BridgeCore
import Foundation
import TestSupport
import Testing

/// The Debian package of scripts/package, installed, upgraded and purged in a fresh Debian root by the commands of
/// the README's "Install on a monitor host", its maintainer scripts run by dpkg for real. The root (debootstrap) and
/// the .deb (a release build) are made by `scripts/setup --package` before the tests: doing either here would slow
/// the other end-to-end tests into flakes. Without them the install test is skipped, saying so.
@Suite struct PackageInstallTests {
  static let rootTarball = "/var/cache/bridgewatch-test/bookworm-minbase.tar.gz"
  /// Whether `scripts/setup --package` made the root and the .deb (20 to 40 minutes on a fresh 2-core machine).
  static let isPrepared =
    FileManager.default.fileExists(atPath: rootTarball)
    && ((try? packagePath()).map { FileManager.default.fileExists(atPath: $0) } ?? false)
  static let units = ["bridgewatch.service", "bridgewatch-standby.service", "bridgewatch-agent.service"]

  @Test(
    .enabled(
      if: isPrepared,
      "needs the .deb and a fresh Debian root: scripts/setup --package makes both (a release build and debootstrap)"))
  func installCheckUpgradeAndPurgeInAFreshDebianRoot() throws {
    guard getuid() == 0 else {
      print("skipped: installing a package into a chroot needs root")
      return
    }
    try RequiredTool.require("tar", "chroot", "dpkg-deb", "mount", "umount")
    let deb = try Self.packagePath()
    try #require(
      FileManager.default.fileExists(atPath: deb),
      "\(deb) is missing: scripts/setup --package builds it (scripts/package) before the tests")
    try #require(
      FileManager.default.fileExists(atPath: Self.rootTarball),
      "\(Self.rootTarball) is missing: scripts/setup --package makes it (debootstrap) before the tests")
    let blocks = try Self.readmeBlocks()
    try #require(blocks.count == 2, "the README's install section has its install and purge commands: \(blocks)")
    let (install, purge) = (blocks[0], blocks[1])
    try #require(install.first?.hasPrefix("apt-get install ./") == true, "\(install)")

    let root = try DebianRoot(tarball: Self.rootTarball)
    let before = root.files()
    try FileManager.default.copyItem(atPath: deb, toPath: root.path + "/root/" + (deb as NSString).lastPathComponent)

    // The README's commands, in order, in the folder holding the package.
    for command in install {
      let result = try root.run(command)
      if command.hasPrefix("systemctl ") && result.status != 0 {
        // A chroot has no running systemd: `enable` is done on the files, starting is refused.
        #expect(result.stderr.contains("System has not been booted with systemd"), "\(command): \(result.stderr)")
      } else {
        #expect(result.status == 0, "\(command): \(result.stdout)\(result.stderr)")
      }
      if command.hasPrefix("bridgewatch check") {
        #expect(result.stdout.contains("61 bridge points in 11 groups"), "\(result.stdout)")
        #expect(result.stdout.contains("journal: /var/lib/bridgewatch/conference.journal"), "\(result.stdout)")
        #expect(result.stdout.contains("console socket: /run/bridgewatch/conference.sock"), "\(result.stdout)")
      }
    }
    #expect(root.exists("/etc/systemd/system/multi-user.target.wants/bridgewatch.service"))

    // The accounts and the folder postinst made.
    #expect(try root.run("stat -c '%U:%G %a' /var/lib/bridgewatch").stdout == "bridgewatch:bridgewatch-count 2775\n")
    let account = try root.run("getent passwd bridgewatch").stdout
    #expect(account.contains(":/var/lib/bridgewatch:/usr/sbin/nologin"), "\(account)")
    #expect(try root.run("id -nG bridgewatch").stdout == "bridgewatch\n")
    #expect(try root.run("getent group bridgewatch-count").status == 0)

    // The receive buffer's cap, for systemd-sysctl at boot (postinst applies it at once only on a booted host).
    #expect(root.read("/usr/lib/sysctl.d/60-bridgewatch.conf")?.contains("\nnet.core.rmem_max = 268435456\n") == true)

    // The units as installed pass systemd's own check (their binary, man pages and environment file exist).
    let verify = try root.run("systemd-analyze verify " + Self.units.map { "/usr/lib/systemd/system/" + $0 }.joined(separator: " "))
    #expect(verify.status == 0 && verify.stderr.isEmpty, "\(verify.stdout)\(verify.stderr)")

    // The man pages, generated from the commands' help.
    let manual = try root.run("man bridgewatch-run")
    #expect(manual.status == 0, "\(manual.stderr)")
    #expect(manual.stdout.contains("Run the monitor for a conference"), "\(manual.stdout.prefix(400))")
    #expect(manual.stdout.contains("--headless") && manual.stdout.contains("--follow"))
    #expect(try root.run("man bridgewatch").stdout.contains("bridgewatch-run(1)"))

    // The completions: bash loads them; zsh and fish find theirs in Debian's vendor folders.
    let bash = try root.run("bash -c 'source /usr/share/bash-completion/completions/bridgewatch && complete -p bridgewatch'")
    #expect(bash.status == 0 && bash.stdout.contains("-F _bridgewatch") && bash.stdout.hasSuffix(" bridgewatch\n"), "\(bash)")
    #expect(root.read("/usr/share/zsh/vendor-completions/_bridgewatch")?.hasPrefix("#compdef bridgewatch") == true)
    #expect(root.read("/usr/share/fish/vendor_completions.d/bridgewatch.fish")?.contains("complete -c 'bridgewatch'") == true)

    // The themes: the shipped files, and a theme put in the package's folder is found by name from another folder
    // (the console looks its theme up before it asks for a terminal, which this test has not).
    let themes = try FileManager.default.contentsOfDirectory(atPath: Repository.path("themes")).filter { $0.hasSuffix(".yaml") }
    #expect(themes.count == 4)
    for name in themes {
      #expect(
        root.read("/usr/share/bridgewatch/themes/\(name)")
          == (try String(contentsOfFile: Repository.path("themes/\(name)"), encoding: .utf8)), "\(name)")
    }
    _ = try root.run("cp /usr/share/bridgewatch/themes/light.yaml /usr/share/bridgewatch/themes/hall.yaml")
    let found = try root.run("bridgewatch console /etc/bridgewatch/conference.yaml --theme hall", in: "/tmp")
    #expect(found.status != 0 && found.stderr.contains("not a terminal") && !found.stderr.contains("theme"), "\(found.stderr)")
    let unknown = try root.run("bridgewatch console /etc/bridgewatch/conference.yaml --theme hal", in: "/tmp")
    #expect(unknown.status == 2 && unknown.stderr.contains("unknown theme 'hal'"), "\(unknown.stderr)")
    _ = try root.run("rm /usr/share/bridgewatch/themes/hall.yaml")

    // The monitor, as the unit runs it (its user, the runtime folder systemd makes), writes its journal and status
    // file with the shipped config.
    _ = try root.run("install -d -o bridgewatch -g bridgewatch /run/bridgewatch")
    let monitor = try root.start(
      "setpriv --reuid=bridgewatch --regid=bridgewatch --init-groups /usr/bin/bridgewatch run --headless "
        + "/etc/bridgewatch/conference.yaml --listen 127.0.0.1:0")
    let wrote = eventually(timeout: .seconds(60), every: .milliseconds(200)) {
      root.exists("/var/lib/bridgewatch/status.json") && root.exists("/var/lib/bridgewatch/conference.journal")
        && root.exists("/run/bridgewatch/conference.sock")
    }
    monitor.terminate()
    monitor.waitUntilExit()
    #expect(wrote, "the monitor wrote no status file, journal or socket: \(root.read("/tmp/monitor.log") ?? "")")
    #expect(monitor.terminationStatus == 0, "\(root.read("/tmp/monitor.log") ?? "")")

    // An upgrade: a higher version over it keeps the administrator's config and the journal.
    _ = try root.run("echo '# edited on this host' >> /etc/bridgewatch/conference.yaml")
    let newer = try Self.repack(deb, version: BuildInfo.version + "+upgrade1", into: root.path + "/root/upgrade")
    let upgrade = try root.run(install[0], in: "/root/upgrade")
    #expect(upgrade.status == 0, "\(upgrade.stdout)\(upgrade.stderr)")
    #expect(try root.run("dpkg-query -W -f '${Version}' bridgewatch").stdout == BuildInfo.version + "+upgrade1", "\(newer)")
    #expect(root.read("/etc/bridgewatch/conference.yaml")?.hasSuffix("# edited on this host\n") == true)
    #expect(root.exists("/var/lib/bridgewatch/conference.journal"))
    #expect(try root.run("bridgewatch check /etc/bridgewatch/conference.yaml").status == 0)

    // The purge, as the README says: nothing of the package is left but the journals of past conferences (and the
    // system account, which Debian leaves).
    for command in purge {
      let result = try root.run(command)
      #expect(result.status == 0, "\(command): \(result.stdout)\(result.stderr)")
      #expect(result.stdout.contains("kept /var/lib/bridgewatch"), "\(result.stdout)")
      #expect(result.stdout.contains("giữ lại /var/lib/bridgewatch"), "\(result.stdout)")
    }
    let status = try root.run("dpkg-query -W -f '${Status}' bridgewatch")
    #expect(status.stderr.contains("no packages found matching bridgewatch"), "\(status)")
    let left = root.files().subtracting(before).sorted()
    // The journal, and its checkpoint (derived from it, safe to delete; kept beside it so a new install starts fast).
    #expect(
      left == ["/var/lib/bridgewatch", "/var/lib/bridgewatch/conference.journal", "/var/lib/bridgewatch/conference.journal.checkpoint"],
      "\(left)")
    #expect(try root.run("getent passwd bridgewatch").status == 0)
  }

  /// The README shows the units the package installs, each quoted whole from packaging/debian, and no other unit.
  @Test func theReadmeQuotesTheShippedUnitsExactly() throws {
    let readme = try String(contentsOfFile: Repository.path("README.md"), encoding: .utf8)
    for unit in Self.units {
      let text = try String(contentsOfFile: Repository.path("packaging/debian/\(unit)"), encoding: .utf8)
      let quoted = readme.contains("```ini\n" + text + "```\n")
      #expect(quoted, "README does not quote packaging/debian/\(unit) whole")
    }
    let quotedUnits = readme.components(separatedBy: "```ini\n[Unit]\n").count - 1
    #expect(quotedUnits == Self.units.count, "a unit in the README that is not one of packaging/debian's")
  }

  /// Where scripts/package writes the package.
  static func packagePath() throws -> String {
    let result = try DebianRoot.command(Repository.path("scripts/package"), ["--path"])
    try #require(result.status == 0, "scripts/package --path: \(result.stderr)")
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The `sh` blocks of the README's "Install on a monitor host", one command a line.
  static func readmeBlocks() throws -> [[String]] {
    let readme = try String(contentsOfFile: Repository.path("README.md"), encoding: .utf8)
    let start = try #require(readme.range(of: "\n## Install on a monitor host\n"), "README has no 'Install on a monitor host'")
    let rest = readme[start.upperBound...]
    let section = rest.range(of: "\n## ").map { rest[..<$0.lowerBound] } ?? rest
    var blocks: [[String]] = []
    var block: [String]?
    for line in section.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if block == nil && line == "```sh" {
        block = []
      } else if block != nil && line == "```" {
        blocks.append(block!)
        block = nil
      } else if block != nil && !line.isEmpty {
        block!.append(line)
      }
    }
    return blocks
  }

  /// The package with another version, as a newer build would be.
  static func repack(_ deb: String, version: String, into folder: String) throws -> String {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("bw-repack-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: work) }
    let unpacked = try DebianRoot.command("/usr/bin/dpkg-deb", ["-R", deb, work])
    try #require(unpacked.status == 0, "\(unpacked.stderr)")
    let control = work + "/DEBIAN/control"
    let text = try String(contentsOfFile: control, encoding: .utf8)
    try text.replacingOccurrences(of: "\nVersion: \(BuildInfo.version)\n", with: "\nVersion: \(version)\n")
      .write(toFile: control, atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let newer = folder + "/bridgewatch_\(version)_\(DebianRoot.architecture).deb"
    let built = try DebianRoot.command("/usr/bin/dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", work, newer])
    try #require(built.status == 0, "\(built.stderr)")
    return newer
  }
}

/// A Debian root unpacked from scripts/setup's tarball into a temporary folder, with /proc mounted; unmounted and
/// removed when released.
final class DebianRoot {
  let path: String
  private var procMounted = false

  init(tarball: String) throws {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("bw-debian-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let unpacked = try Self.command("/bin/tar", ["-xzf", tarball, "-C", path])
    try #require(unpacked.status == 0, "tar: \(unpacked.stderr)")
    procMounted = try Self.command("/bin/mount", ["-t", "proc", "proc", path + "/proc"]).status == 0
    // apt answers yes by itself, as a person would at its prompt.
    try "APT::Get::Assume-Yes \"true\";\n".write(toFile: path + "/etc/apt/apt.conf.d/90yes", atomically: true, encoding: .utf8)
  }

  deinit {
    if procMounted { _ = try? Self.command("/bin/umount", ["-l", path + "/proc"]) }
    _ = try? Self.command("/bin/rm", ["-rf", "--one-file-system", path])
  }

  /// Runs a shell command inside the root, as root, in `folder`.
  func run(_ command: String, in folder: String = "/root") throws -> CommandResult {
    try Self.command("/usr/sbin/chroot", [path, "/bin/sh", "-c", "cd \(folder) && \(command)"], environment: Self.environment)
  }

  /// Starts a command inside the root; its output goes to /tmp/monitor.log there.
  func start(_ command: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/chroot")
    process.arguments = [path, "/bin/sh", "-c", "exec \(command) >/tmp/monitor.log 2>&1"]
    process.environment = Self.environment
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
  }

  /// Whether `file` is there (a link too: its target is inside the root, not here).
  func exists(_ file: String) -> Bool {
    var status = stat()
    return lstat(path + file, &status) == 0
  }
  func read(_ file: String) -> String? { try? String(contentsOfFile: path + file, encoding: .utf8) }

  /// Every file and folder of the root but the package manager's and the system's own records, which an install
  /// changes by design (dpkg's and apt's state, caches, logs, account backups) and the folders this test uses.
  func files() -> Set<String> {
    let skipped = [
      "/proc", "/dev", "/sys", "/run", "/tmp", "/root", "/var/lib/dpkg", "/var/lib/apt", "/var/cache", "/var/log",
      "/etc/passwd-", "/etc/group-", "/etc/shadow-", "/etc/gshadow-",
    ]
    var found: Set<String> = []
    guard let walker = FileManager.default.enumerator(atPath: path) else { return found }
    while let relative = walker.nextObject() as? String {
      let file = "/" + relative
      if skipped.contains(where: { file == $0 || file.hasPrefix($0 + "/") }) {
        if skipped.contains(file) { walker.skipDescendants() }
        continue
      }
      found.insert(file)
    }
    return found
  }

  static let environment = [
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
    "DEBIAN_FRONTEND": "noninteractive",
  ]

  static let architecture: String = {
    (try? command("/usr/bin/dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "amd64"
  }()

  /// Runs a program to its end; its output goes through files, so neither stream can fill a pipe and stall it.
  static func command(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> CommandResult {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bw-out-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    _ = FileManager.default.createFile(atPath: folder + "/out", contents: nil)
    _ = FileManager.default.createFile(atPath: folder + "/err", contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/out"))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/err"))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return CommandResult(
      status: process.terminationStatus,
      stdout: (try? String(contentsOfFile: folder + "/out", encoding: .utf8)) ?? "",
      stderr: (try? String(contentsOfFile: folder + "/err", encoding: .utf8)) ?? "")
  }
}

struct CommandResult: CustomStringConvertible {
  var status: Int32
  var stdout: String
  var stderr: String
  var description: String { "exit \(status): \(stdout)\(stderr)" }
}
