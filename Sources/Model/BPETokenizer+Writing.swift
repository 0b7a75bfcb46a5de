import Foundation

extension BPETokenizer {
    /// The tokenizer as an HF `tokenizer.json`, laid out byte for byte as `Tokenizer.save` (tokenizers
    /// 0.23, `pretty=True`) writes it: same key order, two-space indent, vocabulary in id order, merges
    /// as `["a", "b"]` pairs, no final newline. The same tokenizer always gives the same bytes.
    ///
    /// The pipeline is written in its canonical form: null normalizer and post-processor, ByteLevel
    /// pre-tokenizer (with this tokenizer's `add_prefix_space`) and decoder, plain BPE model.
    public func jsonData() -> Data {
        let modelTokens = Dictionary(uniqueKeysWithValues: modelVocabulary.map { ($0.id, $0.token) })
        let byteLevel = { (addsPrefixSpace: Bool) -> JSONValue in
            .object([
                ("type", .string("ByteLevel")), ("add_prefix_space", .bool(addsPrefixSpace)),
                ("trim_offsets", .bool(true)), ("use_regex", .bool(true)),
            ])
        }
        let addedTokens = addedTokens.map { token -> JSONValue in
            .object([
                ("id", .integer(token.id)), ("content", .string(token.content)), ("single_word", .bool(false)),
                ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(token.isNormalized)),
                ("special", .bool(token.isSpecial)),
            ])
        }
        // Merge tokens were checked against the model vocabulary when the tokenizer was built.
        let merges = mergeTable.pairs.map { pair -> JSONValue in
            .array([.string(modelTokens[pair.left] ?? ""), .string(modelTokens[pair.right] ?? "")])
        }
        let model = JSONValue.object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", unknownToken.map(JSONValue.string) ?? .null),
            ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)),
            ("byte_fallback", .bool(false)), ("ignore_merges", .bool(false)),
            ("vocab", .object(modelVocabulary.map { ($0.token, .integer($0.id)) })),
            ("merges", .array(merges)),
        ])
        let file = JSONValue.object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null),
            ("added_tokens", .array(addedTokens)), ("normalizer", .null),
            ("pre_tokenizer", byteLevel(addsPrefixSpace)), ("post_processor", .null),
            ("decoder", byteLevel(true)), ("model", model),
        ])
        var text = ""
        file.write(to: &text, indent: "")
        return Data(text.utf8)
    }

    /// Writes ``jsonData()`` to `url`, replacing any file there.
    /// - Throws: ``TokenizerError/fileUnwritable(file:reason:)``.
    public func write(to url: URL) throws(TokenizerError) {
        do {
            try jsonData().write(to: url, options: .atomic)
        } catch {
            throw .fileUnwritable(file: url.path, reason: error.localizedDescription)
        }
    }
}

/// Just enough JSON to write `tokenizer.json` with a fixed key order, formatted as serde_json's
/// pretty printer formats it (which `JSONSerialization` and `JSONEncoder` cannot reproduce).
private enum JSONValue {
    case null
    case bool(Bool)
    case integer(Int)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    func write(to text: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .null:
            text += "null"
        case let .bool(value):
            text += value ? "true" : "false"
        case let .integer(value):
            text += String(value)
        case let .string(value):
            Self.writeQuoted(value, to: &text)
        case let .array(elements):
            guard !elements.isEmpty else {
                text += "[]"
                return
            }
            text += "[\n"
            for (index, element) in elements.enumerated() {
                text += inner
                element.write(to: &text, indent: inner)
                text += index == elements.count - 1 ? "\n" : ",\n"
            }
            text += indent + "]"
        case let .object(members):
            guard !members.isEmpty else {
                text += "{}"
                return
            }
            text += "{\n"
            for (index, member) in members.enumerated() {
                text += inner
                Self.writeQuoted(member.key, to: &text)
                text += ": "
                member.value.write(to: &text, indent: inner)
                text += index == members.count - 1 ? "\n" : ",\n"
            }
            text += indent + "}"
        }
    }

    /// serde_json's escapes: `\"`, `\\`, the short forms of control characters, `\u00XX` (lower-case
    /// hex) for the others; everything else, non-ASCII included, verbatim.
    private static func writeQuoted(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
