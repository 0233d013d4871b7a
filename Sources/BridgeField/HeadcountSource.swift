import BridgeCore
import Foundation

/// The headcount to report: fixed, from a count file (re-read when it changes), or none.
public struct HeadcountSource {
  let fixed: Int?
  let path: String?
  let strings: Strings
  public private(set) var current: Int?
  /// Why the count file was last refused, for the monitor (`count_problem=`); nil while it reads well.
  public private(set) var problem: CountFileProblem?
  private var signature: [Int] = []
  private var lastProblem: String?

  public init(fixed: Int?, path: String?, strings: Strings = .english) {
    self.fixed = fixed
    self.path = path
    self.strings = strings
    current = fixed
  }

  /// Re-reads the count file if it changed; returns what to say about it (a new count or a problem), once.
  public mutating func refresh() -> String? {
    guard let path else { return nil }
    var info = stat()
    guard stat(path, &info) == 0 else {
      problem = .unreadable
      signature = []
      return report(strings(.agentCountFileProblem, path, String(cString: strerror(errno)), keeping))
    }
    let newSignature = [Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    guard newSignature != signature else { return nil }
    signature = newSignature
    guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= 64,
      let data = FileManager.default.contents(atPath: path)
    else {
      problem = .unreadable
      return report(strings(.agentCountFileNotSmall, path, keeping))
    }
    switch CountText.parse(Array(data)) {
    case .success(let number):
      lastProblem = nil
      self.problem = nil
      defer { current = number }
      if number == current { return nil }
      return strings(.agentHeadcountChanged, current.map { strings.number($0) } ?? strings(.agentNoHeadcount), strings.number(number), path)
    case .failure(let problem):
      self.problem = CountFileProblem(problem)
      return report("\(path):1: \(strings.countProblem(problem))\(keeping)")
    }
  }

  private var keeping: String {
    current.map { strings(.agentStillReporting, strings.number($0)) } ?? strings(.agentSendingWithoutCount)
  }

  private mutating func report(_ problem: String) -> String? {
    defer { lastProblem = problem }
    return problem == lastProblem ? nil : problem
  }
}

extension CountFileProblem {
  /// The reason code the monitor gets for a count the agent refused (its text stays at the site).
  init(_ problem: CountText.Problem) {
    self =
      switch problem {
      case .notText: .notText
      case .empty: .empty
      case .moreThanOneLine: .severalLines
      case .notANumber: .notANumber
      case .tooLarge: .tooLarge
      }
  }
}
