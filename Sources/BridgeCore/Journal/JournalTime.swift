/// Times as the journal keeps them: unix seconds to the millisecond.
public enum JournalTime {
  public static func sameMillisecond(_ a: Double, _ b: Double) -> Bool { (a * 1000).rounded() == (b * 1000).rounded() }
}
