import Foundation

extension BPETokenizer {
    /// Loads an HF `tokenizer.json` of the byte-level BPE kind (GPT-2, LLaVA-LLaMA fine-tunes with a
    /// byte-level vocabulary, Tessera's own ``BPETrainer`` output).
    ///
    /// Accepted: `model.type` `BPE` with `vocab` and `merges` (as `"a b"` or `["a", "b"]`), no dropout,
    /// prefixes/suffixes, `fuse_unk`, `byte_fallback` or `ignore_merges`; `normalizer` null;
    /// `pre_tokenizer` `ByteLevel` with `use_regex` true (either `add_prefix_space`); `post_processor`
    /// null or `ByteLevel`; `decoder` `ByteLevel`; `added_tokens` without `single_word`, `lstrip` or `rstrip`.
    /// - Parameter url: the `tokenizer.json` file.
    /// - Throws: ``TokenizerError/fileUnreadable(file:reason:)``, and the errors of ``init(data:source:)``.
    public init(contentsOf url: URL) throws(TokenizerError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .fileUnreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, source: url.path)
    }

    /// Parses the contents of a `tokenizer.json`.
    /// - Parameters:
    ///   - data: the JSON text.
    ///   - source: the file name (or other origin) that errors name.
    /// - Throws: ``TokenizerError/invalidJSON(file:field:reason:)``,
    ///   ``TokenizerError/unsupportedSetting(file:field:found:supported:)`` naming the field,
    ///   ``TokenizerError/malformedMerge(file:index:value:)``,
    ///   ``TokenizerError/mergeTokenNotInVocabulary(file:index:token:)``,
    ///   ``TokenizerError/conflictingTokenID(file:id:tokens:)``.
    public init(data: Data, source: String) throws(TokenizerError) {
        let file = try TokenizerFile.decoded(from: data, file: source)
        let model = file.model
        try Self.require(model.type, in: ["BPE"], field: "model.type", file: source)
        try Self.require(file.normalizer?.type, in: [nil], field: "normalizer", file: source)
        guard let preTokenizer = file.preTokenizer else {
            throw .unsupportedSetting(file: source, field: "pre_tokenizer", found: "null", supported: ["ByteLevel"])
        }
        try Self.require(preTokenizer.type, in: ["ByteLevel"], field: "pre_tokenizer.type", file: source)
        try Self.require(preTokenizer.useRegex ?? true, in: [true], field: "pre_tokenizer.use_regex", file: source)
        try Self.require(file.postProcessor?.type, in: [nil, "ByteLevel"], field: "post_processor", file: source)
        try Self.require(file.decoder?.type, in: ["ByteLevel"], field: "decoder", file: source)
        try Self.require(model.dropout, in: [nil], field: "model.dropout", file: source)
        try Self.require(model.continuingSubwordPrefix, in: [nil], field: "model.continuing_subword_prefix", file: source)
        try Self.require(model.endOfWordSuffix, in: [nil], field: "model.end_of_word_suffix", file: source)
        try Self.require(model.fuseUnknown ?? false, in: [false], field: "model.fuse_unk", file: source)
        try Self.require(model.byteFallback ?? false, in: [false], field: "model.byte_fallback", file: source)
        try Self.require(model.ignoreMerges ?? false, in: [false], field: "model.ignore_merges", file: source)

        var addedTokens: [AddedToken] = []
        for (index, token) in (file.addedTokens ?? []).enumerated() {
            let options = [("single_word", token.singleWord), ("lstrip", token.leftStrip), ("rstrip", token.rightStrip)]
            for (name, value) in options {
                try Self.require(value ?? false, in: [false], field: "added_tokens[\(index)].\(name)", file: source)
            }
            let isSpecial = token.special ?? false
            addedTokens.append(AddedToken(id: token.id, content: token.content, isSpecial: isSpecial, isNormalized: token.normalized))
        }

        guard let vocabulary = model.vocab else {
            throw .invalidJSON(file: source, field: "model.vocab", reason: "missing")
        }
        var merges: [(left: String, right: String)] = []
        for (index, merge) in (model.merges ?? []).enumerated() {
            let parts: [String]
            switch merge {
            case let .joined(text):
                parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            case let .pair(pair):
                parts = pair
            }
            guard parts.count == 2 else {
                throw .malformedMerge(file: source, index: index, value: Self.describe(merge))
            }
            merges.append((parts[0], parts[1]))
        }
        try self.init(
            vocabulary: vocabulary, merges: merges, addedTokens: addedTokens,
            unknownToken: model.unknownToken, addsPrefixSpace: preTokenizer.addPrefixSpace ?? true, file: source)
    }

    /// Throws ``TokenizerError/unsupportedSetting(file:field:found:supported:)`` unless `value` is one of `supported`.
    private static func require<Value: Equatable>(
        _ value: Value?, in supported: [Value?], field: String, file: String
    ) throws(TokenizerError) {
        guard !supported.contains(value) else { return }
        throw .unsupportedSetting(
            file: file, field: field, found: value.map { "\($0)" } ?? "null",
            supported: supported.map { $0.map { "\($0)" } ?? "null" })
    }

    private static func describe(_ merge: TokenizerFile.Merge) -> String {
        switch merge {
        case let .joined(text):
            return "\"\(text)\""
        case let .pair(parts):
            return "[" + parts.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        }
    }
}
