/// The program's version, reported by `/health` and stored with every analysis run.
public enum NodoVersion {
  public static let current = "0.1.0"
}
