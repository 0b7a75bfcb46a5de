import Foundation

/// A byte-level BPE tokenizer (GPT-2 / LLaVA style) that gives the same ids as HF `tokenizers`
/// for the `tokenizer.json` files it accepts.
///
/// Encoding follows HF's pipeline: added tokens (`<image>`, `<s>`, …) are cut out of the raw text
/// first and map to their ids; the text between them is split by GPT-2's regular expression
/// (``ByteLevelPreTokenizer``); each word's UTF-8 bytes become byte-level symbols, which the ranked
/// merges join (``BPEMergeTable``); merged words are cached. No normalizer runs and no `<s>` or `</s>`
/// is added: the post-processor is null. Decoding concatenates the bytes each token stands for.
///
/// Load one with ``init(contentsOf:)``, or learn one with ``BPETrainer`` and save it with ``write(to:)``.
///
/// ## Topics
/// - ``encode(_:)``, ``decode(_:skipSpecialTokens:)``
/// - ``id(forToken:)``, ``token(forID:)``, ``vocabularySize``, ``addedTokens``
/// - ``beginningOfSequenceID``, ``endOfSequenceID``, ``unknownTokenID``, ``imageTokenID``
public struct BPETokenizer: Sendable {
    /// A token that is matched in raw text before pre-tokenization, as in HF's `added_tokens`.
    public struct AddedToken: Sendable, Equatable {
        /// The token's id.
        public let id: Int
        /// The exact text that stands for the token.
        public let content: String
        /// Whether `decode(_:skipSpecialTokens: true)` leaves the token out (HF's `special`).
        public let isSpecial: Bool
        /// HF's `normalized`: matched after normalization. With no normalizer this changes only the
        /// order of matching: unnormalized tokens are cut out first.
        public let isNormalized: Bool

        /// An added token; special tokens are unnormalized by default, as in HF.
        public init(id: Int, content: String, isSpecial: Bool, isNormalized: Bool? = nil) {
            self.id = id
            self.content = content
            self.isSpecial = isSpecial
            self.isNormalized = isNormalized ?? !isSpecial
        }
    }

    /// The BPE model's vocabulary in id order (added tokens appear here only if the file lists them in `model.vocab`).
    let modelVocabulary: [(token: String, id: Int)]
    let mergeTable: BPEMergeTable
    /// `model.unk_token`, used for a byte whose symbol is missing from the vocabulary.
    let unknownToken: String?
    /// Whether a space is put before each text piece that does not start with one (HF's `add_prefix_space`).
    let addsPrefixSpace: Bool

    /// The tokens cut out of the raw text before pre-tokenization, in file order.
    public let addedTokens: [AddedToken]

    private let tokensByID: [String?]
    private let idsByToken: [String: Int]
    private let bytesByID: [[UInt8]?]
    private let specialByID: [Bool]
    /// The id of each byte's symbol, or `nil` if the vocabulary lacks it.
    private let byteSymbolIDs: [Int?]
    private let unknownSymbolID: Int?
    private let unnormalizedTokenMatcher: AddedTokenMatcher
    private let normalizedTokenMatcher: AddedTokenMatcher
    private let wordCache = BPEWordCache()

    /// Builds a tokenizer from checked-out parts; `file` names the source in errors.
    /// - Throws: ``TokenizerError/conflictingTokenID(file:id:tokens:)`` when two tokens share an id,
    ///   ``TokenizerError/mergeTokenNotInVocabulary(file:index:token:)`` when a merge uses or makes an
    ///   unknown token, ``TokenizerError/invalidJSON(file:field:reason:)`` for an id that is negative
    ///   or not below the number of tokens listed.
    init(
        vocabulary: [String: Int], merges: [(left: String, right: String)], addedTokens: [AddedToken],
        unknownToken: String?, addsPrefixSpace: Bool, file: String
    ) throws(TokenizerError) {
        let sortedVocabulary = vocabulary.map { (token: $0.key, id: $0.value) }.sorted { ($0.id, $0.token) < ($1.id, $1.token) }
        // Ids number the listed tokens, so they stay below their count; a larger id is a corrupt file
        // (and would size the id tables by it).
        let idLimit = vocabulary.count + addedTokens.count
        let listed = sortedVocabulary.map { (field: "model.vocab", token: $0.token, id: $0.id) }
            + addedTokens.map { (field: "added_tokens", token: $0.content, id: $0.id) }
        if let invalid = listed.first(where: { !(0..<idLimit).contains($0.id) }) {
            throw .invalidJSON(
                file: file, field: invalid.field,
                reason: "token \"\(invalid.token)\" has id \(invalid.id), outside 0..<\(idLimit) for the \(idLimit) tokens listed")
        }
        let size = listed.map { $0.id + 1 }.max() ?? 0
        var tokensByID = [String?](repeating: nil, count: size)
        var idsByToken: [String: Int] = [:]
        var specialByID = [Bool](repeating: false, count: size)
        for (token, id) in sortedVocabulary {
            if let existing = tokensByID[id] {
                throw .conflictingTokenID(file: file, id: id, tokens: [existing, token])
            }
            tokensByID[id] = token
            idsByToken[token] = id
        }
        for added in addedTokens {
            if let existing = tokensByID[added.id], existing != added.content {
                throw .conflictingTokenID(file: file, id: added.id, tokens: [existing, added.content])
            }
            tokensByID[added.id] = added.content
            idsByToken[added.content] = added.id
            specialByID[added.id] = added.isSpecial
        }

        var mergePairs: [(left: Int, right: Int, merged: Int)] = []
        mergePairs.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            let merged = merge.left + merge.right
            for token in [merge.left, merge.right, merged] where vocabulary[token] == nil {
                throw .mergeTokenNotInVocabulary(file: file, index: index, token: token)
            }
            mergePairs.append((vocabulary[merge.left] ?? 0, vocabulary[merge.right] ?? 0, vocabulary[merged] ?? 0))
        }

        // HF's ByteLevel decoder keeps a token's raw UTF-8 when a scalar is outside the alphabet.
        self.bytesByID = tokensByID.map { token in
            token.map { ByteLevelAlphabet.bytes(for: $0) ?? Array($0.utf8) }
        }
        self.modelVocabulary = sortedVocabulary
        self.mergeTable = BPEMergeTable(pairs: mergePairs)
        self.unknownToken = unknownToken
        self.addsPrefixSpace = addsPrefixSpace
        self.addedTokens = addedTokens
        self.tokensByID = tokensByID
        self.idsByToken = idsByToken
        self.specialByID = specialByID
        self.byteSymbolIDs = ByteLevelAlphabet.scalars.map { vocabulary[String($0)] }
        self.unknownSymbolID = unknownToken.flatMap { vocabulary[$0] }
        self.unnormalizedTokenMatcher = AddedTokenMatcher(
            tokens: addedTokens.filter { !$0.isNormalized }.map { ($0.content, $0.id) })
        self.normalizedTokenMatcher = AddedTokenMatcher(
            tokens: addedTokens.filter(\.isNormalized).map { ($0.content, $0.id) })
    }

    /// The number of ids: one more than the largest id of the vocabulary and the added tokens
    /// (HF's `get_vocab_size(with_added_tokens=True)` when ids have no gaps).
    public var vocabularySize: Int { tokensByID.count }

    /// The id of `token` (a byte-level spelling such as `"Ġlung"`, or an added token such as `"<image>"`).
    public func id(forToken token: String) -> Int? {
        idsByToken[token]
    }

    /// The token with id `id`, or `nil` if no token has it.
    public func token(forID id: Int) -> String? {
        tokensByID.indices.contains(id) ? tokensByID[id] : nil
    }

    /// The id of `<s>`, if the vocabulary has it.
    public var beginningOfSequenceID: Int? { id(forToken: "<s>") }
    /// The id of `</s>`, if the vocabulary has it.
    public var endOfSequenceID: Int? { id(forToken: "</s>") }
    /// The id of `model.unk_token`, or else of `<unk>`, if the vocabulary has it.
    public var unknownTokenID: Int? { unknownSymbolID ?? id(forToken: "<unk>") }
    /// The id of `<image>`, the placeholder that LLaVA replaces with projected image patches.
    public var imageTokenID: Int? { id(forToken: "<image>") }

    /// The token ids of `text`, exactly as HF `Tokenizer.encode(text).ids` with no special tokens added.
    ///
    /// Added tokens in the text (such as `"<image>"`) become their ids; the rest is byte-level BPE,
    /// so every string encodes, whatever its scripts or emoji.
    public func encode(_ text: String) -> [Int] {
        let bytes = Array(text.utf8)
        var ids: [Int] = []
        ids.reserveCapacity(bytes.count / 2)
        for piece in unnormalizedTokenMatcher.split(bytes, in: bytes.indices) {
            switch piece {
            case let .token(id):
                ids.append(id)
            case let .text(range):
                for segment in normalizedTokenMatcher.split(bytes, in: range) {
                    switch segment {
                    case let .token(id):
                        ids.append(id)
                    case let .text(range):
                        appendIDs(ofText: bytes[range], to: &ids)
                    }
                }
            }
        }
        return ids
    }

    /// The text of `ids`: the bytes of each token, concatenated and read as UTF-8 (invalid sequences,
    /// as from a cut in the middle of a character, become U+FFFD as in HF). An id that names no
    /// token is left out, as HF does: a model's embedding is often larger than its vocabulary (the
    /// HF fixture's 320 rows for 316 tokens; llava-1.5's 32,064 for 32,002), and it may pick one.
    /// - Parameters:
    ///   - ids: token ids, as from ``encode(_:)`` or a model.
    ///   - skipSpecialTokens: leave out special added tokens (`<s>`, `</s>`, `<image>`, …).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard bytesByID.indices.contains(id), let tokenBytes = bytesByID[id] else { continue }
            if skipSpecialTokens, specialByID[id] {
                continue
            }
            bytes.append(contentsOf: tokenBytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the ids of a text piece that holds no added token.
    private func appendIDs(ofText piece: ArraySlice<UInt8>, to ids: inout [Int]) {
        let text = addsPrefixSpace && piece.first != UInt8(ascii: " ") ? ArraySlice([UInt8(ascii: " ")] + piece) : piece
        for word in ByteLevelPreTokenizer.split(text) {
            let wordBytes = Array(text[word])
            if let cached = wordCache.ids(for: wordBytes) {
                ids.append(contentsOf: cached)
                continue
            }
            // A byte without a symbol becomes `unk_token`, or is dropped when there is none, as in HF.
            let symbols = wordBytes.compactMap { byteSymbolIDs[Int($0)] ?? unknownSymbolID }
            let merged = mergeTable.merged(symbols)
            wordCache.store(merged, for: wordBytes)
            ids.append(contentsOf: merged)
        }
    }
}
