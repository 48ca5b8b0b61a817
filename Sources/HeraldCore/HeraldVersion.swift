import Foundation

/// Herald's own version, sent in `User-Agent` and printed by `herald --version`.
public enum HeraldVersion {
    public static let string = "0.1.0"
}
