// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "BridgeWatch",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "bridgewatch", targets: ["bridgewatch"]),
    .library(name: "BridgeCore", targets: ["BridgeCore"]),
    .library(name: "BridgeField", targets: ["BridgeField"]),
  ],
  dependencies: [
    .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
  ],
  targets: [
    // Pure core: model, config, wire codec, status engine. No terminal, no sockets.
    .target(
      name: "BridgeCore",
      dependencies: [
        // SHA-256 resumed from a kept chaining value, for the heartbeats' MACs (KeyedHMACSHA256).
        "COpenSSL",
        .product(name: "Yams", package: "Yams"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    // Sockets and files: UDP listener, heartbeat-file poller, status file, journal. Process/ holds what a monitor
    // process needs beside them: a long read's progress, memory tuning, its log handler.
    .target(
      name: "BridgeMonitor",
      dependencies: [
        "BridgeCore",
        "BridgePlatform",
        "BridgeThreads",
        "CLinux",
        // The bridge client's HTTPS (a bridge's url of https://).
        "COpenSSL",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        // The bridges' push receivers (events_listen).
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // The Prometheus endpoint: the exposition (swift-prometheus) and its HTTP/1.1 server (SwiftNIO), on a thread of
    // its own so that no scraper can stall ingest.
    .target(
      name: "BridgeMetrics",
      dependencies: [
        "BridgeCore",
        "BridgeMonitor",
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // ncursesw, reached only by BridgeTUI's CursesBackend.
    .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"])]),
    // OpenSSL: libssl for BridgeMonitor's TLSClient (HTTPS to a conference bridge), libcrypto's SHA-256 for
    // BridgeCore's KeyedHMACSHA256.
    .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
    // Dashboard: views render snapshots into a cell grid with roles; one backend copies it to curses.
    .target(
      name: "BridgeTUI",
      dependencies: ["BridgeCore", "BridgeThreads", "CNcurses", .product(name: "Yams", package: "Yams")]
    ),
    // What runs at the bridge points and in rehearsals: the agent (its session, pure, and its loop over a plain UDP
    // client that `send` and the simulator share), the simulator (plan, driver, stand-in probe endpoints), demo
    // rosters. It does not depend on the monitor: a site's machine runs the agent without any of it.
    .target(name: "BridgeField", dependencies: ["BridgeCore", "BridgePlatform"]),
    // The benchmarks `bridgewatch bench` runs, with the command's arguments: some time code in this process, the
    // others start the bridgewatch binary itself (its path is passed in) and measure it from outside.
    .target(
      name: "BridgeBench",
      dependencies: [
        "BridgeCore",
        "BridgeField",
        "BridgeMonitor",
        "BridgePlatform",
        "BridgeTUI",
        "CLinux",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    // The monitor with its faces, as `run`, `demo` and `console` start them: MonitorRunner (a MonitorProcess with the
    // dashboard or the headless log, and the metrics) and ConsoleSession (a dashboard on a monitor's console socket).
    .target(
      name: "BridgeRunner",
      dependencies: [
        "BridgeCore",
        "BridgeMetrics",
        "BridgeMonitor",
        "BridgePlatform",
        "BridgeTUI",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
      ]
    ),
    // One named service thread and one wakeable inbox (a pipe a poll loop watches), for every thread that is not
    // an NIO loop: the dashboard, the console server, the prober.
    .target(name: "BridgeThreads"),
    // What every long-running command needs from Linux, the monitor and the agent alike: the stop signals and
    // atomic file writes.
    .target(name: "BridgePlatform", dependencies: ["BridgeCore", "CLinux"]),
    // Linux calls the Glibc module lacks: recvmmsg and sendmmsg for the UDP listener and the load benchmark's
    // sender, mallopt for the monitor's memory, a pseudo-terminal for the tests.
    .target(name: "CLinux"),
    .executableTarget(
      name: "bridgewatch",
      dependencies: [
        "BridgeBench",
        "BridgeCore",
        "BridgeRunner",
        "BridgeField",
        "BridgeMonitor",
        "BridgeMetrics",
        "BridgePlatform",
        "BridgeTUI",
        "CLinux",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // Helpers every test target shares: repository paths, a loopback UDP socket.
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(
      name: "BridgeCoreTests",
      dependencies: ["BridgeCore", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
    ),
    .testTarget(
      name: "BridgeMonitorTests",
      dependencies: [
        "BridgeCore", "BridgeMonitor", "BridgeTUI", "TestSupport",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .testTarget(
      name: "BridgeMetricsTests",
      dependencies: ["BridgeCore", "BridgeMonitor", "BridgeMetrics", "TestSupport", .product(name: "Logging", package: "swift-log")]
    ),
    .testTarget(name: "BridgeThreadsTests", dependencies: ["BridgeThreads"]),
    .testTarget(name: "BridgeFieldTests", dependencies: ["BridgeField", "BridgeCore", "BridgeMonitor", "TestSupport"]),
    .testTarget(name: "BridgeTUITests", dependencies: ["BridgeTUI", "BridgeCore", "BridgeField", "TestSupport"]),
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "bridgewatch", "BridgeCore", "BridgeField", "BridgeMonitor", "BridgePlatform", "CLinux", "TestSupport",
      ]),
  ],
  swiftLanguageModes: [.v6]
)
