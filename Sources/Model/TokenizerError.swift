/// Errors raised while loading, training, writing or using a ``BPETokenizer``.
///
/// Each case names the file (or the source given for in-memory data), the JSON field and the value
/// found, so that whoever maintains the tokenizer file can fix it without reading Tessera's code.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// The tokenizer file could not be read from disk.
    case fileUnreadable(file: String, reason: String)
    /// The file is not valid JSON, or a field is missing or has the wrong type.
    case invalidJSON(file: String, field: String, reason: String)
    /// A component or option that Tessera does not implement, such as a WordPiece model or an NFC
    /// normalizer. `field` is the JSON path (`model.type`, `normalizer.type`, `pre_tokenizer.use_regex`).
    case unsupportedSetting(file: String, field: String, found: String, supported: [String])
    /// A merge is not a pair of two tokens (`"a b"` or `["a", "b"]`).
    case malformedMerge(file: String, index: Int, value: String)
    /// A merge names a token, or produces a token, that is not in the vocabulary.
    case mergeTokenNotInVocabulary(file: String, index: Int, token: String)
    /// Two entries of the vocabulary or of `added_tokens` claim the same id for different tokens.
    case conflictingTokenID(file: String, id: Int, tokens: [String])
    /// The trainer was asked for fewer tokens than the special tokens plus the 256 byte symbols.
    case vocabularySizeTooSmall(requested: Int, minimum: Int)
    /// The trainer was given the same special token twice, or an empty one.
    case invalidSpecialToken(token: String, reason: String)
    /// The tokenizer file could not be written.
    case fileUnwritable(file: String, reason: String)

    /// A sentence that names the file, the field and the value at fault.
    public var description: String {
        switch self {
        case let .fileUnreadable(file, reason):
            return "\(file): cannot read the tokenizer file (\(reason))"
        case let .invalidJSON(file, field, reason):
            let location = field.isEmpty ? "" : " at \(field)"
            return "\(file): invalid tokenizer JSON\(location): \(reason)"
        case let .unsupportedSetting(file, field, found, supported):
            return "\(file): \(field) is \(found), Tessera supports only \(supported.joined(separator: ", "))"
        case let .malformedMerge(file, index, value):
            return "\(file): model.merges[\(index)] is \(value), expected two tokens as \"a b\" or [\"a\", \"b\"]"
        case let .mergeTokenNotInVocabulary(file, index, token):
            return "\(file): model.merges[\(index)] uses or makes token \"\(token)\", which is not in model.vocab"
        case let .conflictingTokenID(file, id, tokens):
            return "\(file): id \(id) is given to several tokens: \(tokens.map { "\"\($0)\"" }.joined(separator: ", "))"
        case let .vocabularySizeTooSmall(requested, minimum):
            return "vocabulary size \(requested) is too small: the special tokens and 256 byte symbols need \(minimum)"
        case let .invalidSpecialToken(token, reason):
            return "special token \"\(token)\" is invalid: \(reason)"
        case let .fileUnwritable(file, reason):
            return "\(file): cannot write the tokenizer file (\(reason))"
        }
    }
}
