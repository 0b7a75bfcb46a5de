/// Why a site configuration file cannot be used. Every case names the file and, where there is
/// one, the key (dotted: `bundle.certificate`), so hospital IT knows which line to fix.
public enum SiteConfigurationError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case notTOML(file: String, line: Int, reason: String)
    case missingKey(file: String, key: String)
    case unknownKey(file: String, key: String)
    case wrongType(file: String, key: String, expected: String)
    case invalidValue(file: String, key: String, value: String, expected: String)
    /// A path the configuration names does not exist (or is not the kind of entry expected).
    case missingPath(file: String, key: String, path: String, expected: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read the site configuration \(file): \(reason)"
        case let .notTOML(file, line, reason):
            return "\(file): line \(line) is not valid TOML: \(reason)"
        case let .missingKey(file, key):
            return "\(file): \(key) is missing (see `tessera-site config template`)"
        case let .unknownKey(file, key):
            return "\(file): unknown key \(key) (a typo? see `tessera-site config template`)"
        case let .wrongType(file, key, expected):
            return "\(file): \(key) must be \(expected)"
        case let .invalidValue(file, key, value, expected):
            return "\(file): \(key) is \"\(value)\", expected \(expected)"
        case let .missingPath(file, key, path, expected):
            return "\(file): \(key) names \(path), which is not \(expected)"
        }
    }
}
