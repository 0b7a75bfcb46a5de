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
