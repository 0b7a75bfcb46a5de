/// Learns a byte-level BPE vocabulary from a corpus, as HF `tokenizers`' `BpeTrainer` does with a
/// ByteLevel pre-tokenizer (`add_prefix_space=False`) and `initial_alphabet=ByteLevel.alphabet()`.
///
/// Ids are assigned in this order: the special tokens, in the order given; the 256 byte symbols,
/// ordered by their scalar value (`!` first, `Ń` U+0143 last), as HF sorts its alphabet; then one
/// token per merge. Each step merges the pair of adjacent symbols that occurs most often in the
/// corpus (counting each word as often as it occurs); **ties go to the pair with the smaller
/// (left id, right id)**, the order of HF's merge queue. Merges apply within a word, left to right.
/// Training stops when the vocabulary reaches `vocabularySize` or no pair is left.
///
/// This reproduces HF's vocabulary and merges exactly (the test suite retrains the shared fixture
/// tokenizer byte for byte), except perhaps when two different merges spell the same token, where
/// HF's queue bookkeeping may repeat a merge. The result depends only on the corpus and the settings,
/// never on hashing or thread order, so the written `tokenizer.json` is reproducible.
public struct BPETrainer: Sendable {
    /// The number of tokens to reach, special tokens and the 256 byte symbols included.
    public let vocabularySize: Int
    /// Tokens given the first ids and matched whole in text, such as `["<unk>", "<s>", "</s>", "<image>"]`.
    public let specialTokens: [String]

    /// A trainer for a vocabulary of `vocabularySize` tokens starting with `specialTokens`.
    public init(vocabularySize: Int, specialTokens: [String]) {
        self.vocabularySize = vocabularySize
        self.specialTokens = specialTokens
    }

    /// Learns merges from `corpus` and returns the tokenizer (save it with ``BPETokenizer/write(to:)``).
    /// - Parameter corpus: training texts; each is pre-tokenized on its own, special tokens are not cut out.
    /// - Throws: ``TokenizerError/invalidSpecialToken(token:reason:)`` for an empty, repeated or
    ///   single-byte-symbol special token, ``TokenizerError/vocabularySizeTooSmall(requested:minimum:)``.
    public func train<Corpus: Sequence<String>>(on corpus: Corpus) throws(TokenizerError) -> BPETokenizer {
        try validateSpecialTokens()
        let minimum = specialTokens.count + 256
        guard vocabularySize >= minimum else {
            throw .vocabularySizeTooSmall(requested: vocabularySize, minimum: minimum)
        }

        var tokens: [[UInt8]] = []  // the bytes of each non-special token, by id - specialTokens.count
        var idsByBytes: [[UInt8]: Int] = [:]
        let bytesBySymbolOrder = (0...255).map(UInt8.init).sorted {
            ByteLevelAlphabet.scalars[Int($0)].value < ByteLevelAlphabet.scalars[Int($1)].value
        }
        for byte in bytesBySymbolOrder {
            idsByBytes[[byte]] = specialTokens.count + tokens.count
            tokens.append([byte])
        }

        var state = PairStatistics(words: Self.wordCounts(in: corpus), idsByBytes: idsByBytes)
        var merges: [(left: Int, right: Int)] = []
        while specialTokens.count + tokens.count < vocabularySize, let pair = state.mostFrequentPair() {
            let bytes = tokens[pair.left - specialTokens.count] + tokens[pair.right - specialTokens.count]
            let merged: Int
            if let existing = idsByBytes[bytes] {
                merged = existing
            } else {
                merged = specialTokens.count + tokens.count
                idsByBytes[bytes] = merged
                tokens.append(bytes)
            }
            merges.append(pair)
            state.merge(pair, into: merged)
        }

        let spellings = tokens.map { ByteLevelAlphabet.string(for: $0) }
        var vocabulary: [String: Int] = [:]
        for (index, token) in specialTokens.enumerated() {
            vocabulary[token] = index
        }
        for (index, spelling) in spellings.enumerated() {
            vocabulary[spelling] = specialTokens.count + index
        }
        return try BPETokenizer(
            vocabulary: vocabulary,
            merges: merges.map { (spellings[$0.left - specialTokens.count], spellings[$0.right - specialTokens.count]) },
            addedTokens: specialTokens.enumerated().map { AddedToken(id: $0.offset, content: $0.element, isSpecial: true) },
            unknownToken: nil, addsPrefixSpace: false, file: "BPETrainer")
    }

    private typealias AddedToken = BPETokenizer.AddedToken

    private func validateSpecialTokens() throws(TokenizerError) {
        var seen: Set<[UInt8]> = []
        for token in specialTokens {
            guard !token.isEmpty else {
                throw .invalidSpecialToken(token: token, reason: "it is empty")
            }
            guard seen.insert(Array(token.utf8)).inserted else {
                throw .invalidSpecialToken(token: token, reason: "it is listed twice")
            }
            if let bytes = ByteLevelAlphabet.bytes(for: token), bytes.count == 1 {
                throw .invalidSpecialToken(token: token, reason: "it spells the byte symbol of 0x\(String(bytes[0], radix: 16))")
            }
        }
    }

    /// How often each distinct word (the bytes of one pre-token) occurs, sorted by bytes so that
    /// everything downstream is independent of hashing.
    private static func wordCounts<Corpus: Sequence<String>>(in corpus: Corpus) -> [(bytes: [UInt8], count: Int)] {
        var counts: [[UInt8]: Int] = [:]
        for text in corpus {
            let bytes = Array(text.utf8)
            for word in ByteLevelPreTokenizer.split(bytes[...]) {
                counts[Array(bytes[word]), default: 0] += 1
            }
        }
        return counts.map { (bytes: $0.key, count: $0.value) }.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }
}

/// The words of the corpus as symbol ids, and the count of every adjacent pair, kept up to date as
/// pairs merge. The most frequent pair comes from a lazy max-heap: entries whose count has changed
/// since they were pushed are re-pushed with the current count when they surface.
private struct PairStatistics {
    /// A candidate merge, ordered so that the heap's minimum is the highest count, then the smallest pair.
    private struct Candidate: Comparable {
        let count: Int
        let left: Int
        let right: Int

        static func < (lhs: Candidate, rhs: Candidate) -> Bool {
            (rhs.count, lhs.left, lhs.right) < (lhs.count, rhs.left, rhs.right)
        }
    }

    private var words: [[Int]]
    private let wordCounts: [Int]
    private var pairCounts: [UInt64: Int] = [:]
    /// The words that contain (or once contained) each pair.
    private var wordsByPair: [UInt64: Set<Int>] = [:]
    private var heap = MinHeap<Candidate>()

    init(words: [(bytes: [UInt8], count: Int)], idsByBytes: [[UInt8]: Int]) {
        self.words = words.map { word in word.bytes.map { idsByBytes[[$0]] ?? 0 } }
        self.wordCounts = words.map(\.count)
        for index in self.words.indices {
            add(pairsOf: index)
        }
        for (key, count) in pairCounts where count > 0 {
            heap.insert(Candidate(count: count, left: Int(key >> 32), right: Int(key & 0xFFFF_FFFF)))
        }
    }

    /// The pair to merge next, or `nil` when no pair is left.
    mutating func mostFrequentPair() -> (left: Int, right: Int)? {
        while let candidate = heap.popMinimum() {
            let current = pairCounts[BPEMergeTable.key(candidate.left, candidate.right)] ?? 0
            if current == candidate.count, current > 0 {
                return (candidate.left, candidate.right)
            }
            if current > 0 {
                heap.insert(Candidate(count: current, left: candidate.left, right: candidate.right))
            }
        }
        return nil
    }

    /// Replaces every occurrence of `pair` (left to right, without overlap) by `merged`, and updates the counts.
    mutating func merge(_ pair: (left: Int, right: Int), into merged: Int) {
        let affected = (wordsByPair[BPEMergeTable.key(pair.left, pair.right)] ?? []).sorted()
        var grown: Set<UInt64> = []
        for index in affected {
            let word = words[index]
            var result: [Int] = []
            result.reserveCapacity(word.count)
            var position = 0
            while position < word.count {
                if position + 1 < word.count, word[position] == pair.left, word[position + 1] == pair.right {
                    result.append(merged)
                    position += 2
                } else {
                    result.append(word[position])
                    position += 1
                }
            }
            guard result.count != word.count else { continue }
            remove(pairsOf: index)
            words[index] = result
            add(pairsOf: index)
            for (left, right) in zip(result, result.dropFirst()) where left == merged || right == merged {
                grown.insert(BPEMergeTable.key(left, right))
            }
        }
        // Only pairs with the new symbol can have grown; stale entries of shrunk pairs are fixed when popped.
        for key in grown.sorted() {
            if let count = pairCounts[key], count > 0 {
                heap.insert(Candidate(count: count, left: Int(key >> 32), right: Int(key & 0xFFFF_FFFF)))
            }
        }
    }

    private mutating func add(pairsOf index: Int) {
        for (left, right) in zip(words[index], words[index].dropFirst()) {
            let key = BPEMergeTable.key(left, right)
            pairCounts[key, default: 0] += wordCounts[index]
            wordsByPair[key, default: []].insert(index)
        }
    }

    private mutating func remove(pairsOf index: Int) {
        for (left, right) in zip(words[index], words[index].dropFirst()) {
            pairCounts[BPEMergeTable.key(left, right), default: 0] -= wordCounts[index]
        }
    }
}
