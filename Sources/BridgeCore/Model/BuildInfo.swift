/// What this build is, for `--version` and the metrics' `bridgewatch_build_info`.
public enum BuildInfo {
  public static let version = "0.6.0"
}
