/// An operator action refused because of the monitor's role (a standby, or a replaced primary).
public struct RoleRefusal: Error, CustomStringConvertible {
  public var description: String
}
