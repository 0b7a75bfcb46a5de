/// Finds added tokens (such as `<image>`) in UTF-8 text, leftmost first and longest at a position,
/// as HF `tokenizers` does with its Aho–Corasick automaton (`MatchKind::LeftmostLongest`) before
/// pre-tokenization. Matching is on bytes, never on `String` equality, so canonically equivalent but
/// different spellings do not match.
struct AddedTokenMatcher: Sendable {
    /// A piece of text: either an added token, or text for the pre-tokenizer and BPE.
    enum Segment: Equatable {
        case token(id: Int)
        case text(Range<Int>)
    }

    /// The tokens whose bytes start with each byte value, longest first.
    private let candidatesByFirstByte: [[(bytes: [UInt8], id: Int)]]
    /// Whether some token starts with each byte value: the scan over the text tests only this.
    private let startsToken: [Bool]

    /// A matcher for `tokens`; empty contents never match.
    init(tokens: [(content: String, id: Int)]) {
        var candidates = [[(bytes: [UInt8], id: Int)]](repeating: [], count: 256)
        for token in tokens {
            let bytes = Array(token.content.utf8)
            guard let first = bytes.first else { continue }
            candidates[Int(first)].append((bytes, token.id))
        }
        candidatesByFirstByte = candidates.map { list in
            list.sorted { $0.bytes.count > $1.bytes.count }
        }
        startsToken = candidates.map { !$0.isEmpty }
    }

    /// `range` of `text` cut into added tokens and the text between them, in order; empty text
    /// pieces are left out.
    func split(_ text: [UInt8], in range: Range<Int>) -> [Segment] {
        guard startsToken.contains(true) else {
            return range.isEmpty ? [] : [.text(range)]
        }
        var segments: [Segment] = []
        var textStart = range.lowerBound
        var index = range.lowerBound
        while index < range.upperBound {
            guard startsToken[Int(text[index])], let match = longestMatch(in: text, at: index, before: range.upperBound) else {
                index += 1
                continue
            }
            if textStart < index {
                segments.append(.text(textStart..<index))
            }
            segments.append(.token(id: match.id))
            index += match.length
            textStart = index
        }
        if textStart < range.upperBound {
            segments.append(.text(textStart..<range.upperBound))
        }
        return segments
    }

    private func longestMatch(in text: [UInt8], at index: Int, before end: Int) -> (id: Int, length: Int)? {
        for candidate in candidatesByFirstByte[Int(text[index])] where candidate.bytes.count <= end - index {
            if text[index..<(index + candidate.bytes.count)].elementsEqual(candidate.bytes) {
                return (candidate.id, candidate.bytes.count)
            }
        }
        return nil
    }
}
