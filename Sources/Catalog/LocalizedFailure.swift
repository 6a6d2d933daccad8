/// A failure people can be told about, in Spanish or English, with a stable code (stored
/// with failed jobs, used as the problem type over HTTP).
public protocol LocalizedFailure: Error {
  var code: String { get }
  func message(_ language: Language) -> String
}
