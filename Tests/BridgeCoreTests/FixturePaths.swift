import TestSupport

extension Repository {
  static let configFixtures = path("Tests/Fixtures/configs")
}
