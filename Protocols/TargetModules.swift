/// Which linear layers get LoRA factors, with PEFT's two forms of `target_modules`:
/// - a list of names: a module path matches when it equals a name or ends with `.` + name
///   (`q_proj` matches `model.language_model.layers.0.self_attn.q_proj`);
/// - a pattern (a JSON string): a module path matches when the whole path matches the regular
///   expression, as Python's `re.fullmatch` (`.*language_model.*\.(q_proj|v_proj)`).
///
/// `modules_to_save` names match a module with the same list rule.
public enum TargetModules: Codable, Equatable, Sendable, CustomStringConvertible {
    case names([String])
    case pattern(String)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let pattern = try? container.decode(String.self) {
            // `try?`: not a string means the list form, decoded (and reported) next.
            self = .pattern(pattern)
        } else {
            self = .names(try container.decode([String].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .names(names): try container.encode(names)
        case let .pattern(pattern): try container.encode(pattern)
        }
    }

    /// A matcher for module paths.
    /// - Throws: ``TrainingPlanError/invalidValue(field:value:expected:)`` for an empty list or
    ///   a pattern that is not a regular expression.
    func matcher() throws -> (String) -> Bool {
        switch self {
        case let .names(names):
            guard !names.isEmpty, names.allSatisfy({ !$0.isEmpty }) else {
                throw TrainingPlanError.invalidValue(field: "lora.target_modules", value: description,
                                                     expected: "a non-empty list of module names, or a pattern")
            }
            return { path in Self.path(path, matchesAnyOf: names) }
        case let .pattern(pattern):
            let regex: Regex<AnyRegexOutput>
            do {
                regex = try Regex(pattern)
            } catch {
                throw TrainingPlanError.invalidValue(field: "lora.target_modules", value: pattern,
                                                     expected: "a regular expression (\(error))")
            }
            return { path in path.wholeMatch(of: regex) != nil }
        }
    }

    /// PEFT's list rule: `path == name` or `path` ends with `"." + name`.
    static func path(_ path: String, matchesAnyOf names: [String]) -> Bool {
        names.contains { path == $0 || path.hasSuffix("." + $0) }
    }

    public var description: String {
        switch self {
        case let .names(names): return "[" + names.joined(separator: ", ") + "]"
        case let .pattern(pattern): return pattern
        }
    }
}
