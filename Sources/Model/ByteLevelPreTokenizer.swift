/// Splits UTF-8 text into the words that byte-level BPE merges within, as GPT-2's regular expression
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// does under Oniguruma in HF `tokenizers` (`pre_tokenizers::byte_level::ByteLevel` with `use_regex`).
///
/// The split is written by hand over Unicode scalars rather than run through `NSRegularExpression`,
/// whose `\s`, `\p{…}` and lookahead would have to agree with Oniguruma's in every corner. Here:
/// - `\s` is the Unicode `White_Space` property (Oniguruma's `Space` class), `\p{L}` the general
///   categories L*, `\p{N}` the categories N*; the optional prefix ` ?` is U+0020 only.
/// - Alternatives are tried left to right and the first that matches wins, as in the regex. Each
///   scalar belongs to exactly one of space, other whitespace, letter, number and other, so the
///   three ` ?class+` alternatives reduce to "an optional space, then a maximal run of one class".
/// - `\s+(?!\S)` takes a whitespace run up to the end of text, or else all of it but its last scalar
///   (which then joins the following word as its ` ?` prefix); a single whitespace scalar before a
///   non-space falls through to `\s+`.
enum ByteLevelPreTokenizer {
    /// The byte ranges of the words of `text`, in order; together they cover `text` exactly.
    /// - Precondition: `text` is valid UTF-8 (it always comes from a Swift `String`).
    static func split(_ text: ArraySlice<UInt8>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start = text.startIndex
        while start < text.endIndex {
            let end = wordEnd(in: text, from: start)
            words.append(start..<end)
            start = end
        }
        return words
    }

    /// The end of the word that starts at byte `start`.
    private static func wordEnd(in text: ArraySlice<UInt8>, from start: Int) -> Int {
        if let end = contractionEnd(in: text, from: start) {
            return end
        }
        let first = scalarKind(in: text, at: start)
        var runStart = start
        var runKind = first.kind
        if first.kind == .space, start + first.length < text.endIndex {
            let next = scalarKind(in: text, at: start + first.length)
            if !next.kind.isWhitespace {
                runStart = start + first.length
                runKind = next.kind
            }
        }
        var index = runStart
        if !runKind.isWhitespace {
            while index < text.endIndex {
                let scalar = scalarKind(in: text, at: index)
                guard scalar.kind == runKind else { break }
                index += scalar.length
            }
            return index
        }
        var lastScalarStart = start
        while index < text.endIndex {
            let scalar = scalarKind(in: text, at: index)
            guard scalar.kind.isWhitespace else { break }
            lastScalarStart = index
            index += scalar.length
        }
        // `\s+(?!\S)` backs off one scalar before a non-space; with a single scalar it fails and `\s+` takes it.
        if index == text.endIndex || lastScalarStart == start {
            return index
        }
        return lastScalarStart
    }

    /// The end of `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll` or `'d` at `start` (case-sensitive, as in GPT-2), if any.
    private static func contractionEnd(in text: ArraySlice<UInt8>, from start: Int) -> Int? {
        guard text[start] == UInt8(ascii: "'"), start + 1 < text.endIndex else { return nil }
        switch text[start + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return start + 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return start + 2 < text.endIndex && text[start + 2] == UInt8(ascii: "e") ? start + 3 : nil
        case UInt8(ascii: "l"):
            return start + 2 < text.endIndex && text[start + 2] == UInt8(ascii: "l") ? start + 3 : nil
        default:
            return nil
        }
    }

    /// The kind and UTF-8 length of the scalar starting at byte `index`.
    private static func scalarKind(in text: ArraySlice<UInt8>, at index: Int) -> (kind: ScalarKind, length: Int) {
        let lead = text[index]
        if lead < 0x80 {
            return (asciiKinds[Int(lead)], 1)
        }
        let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for offset in 1..<length {
            value = value << 6 | UInt32(text[index + offset] & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value) else { return (.other, length) }
        return (ScalarKind(scalar), length)
    }

    /// The kind of every ASCII scalar, so that the common case needs no Unicode property lookup.
    private static let asciiKinds: [ScalarKind] = (0..<128).map { value in
        ScalarKind(Unicode.Scalar(UInt8(value)))
    }
}

/// The classes that GPT-2's regular expression tells apart.
private enum ScalarKind {
    /// U+0020, the only scalar allowed as the optional prefix of a word.
    case space
    /// Any other scalar with the Unicode `White_Space` property (`\s`).
    case whitespace
    /// General categories Lu, Ll, Lt, Lm, Lo (`\p{L}`).
    case letter
    /// General categories Nd, Nl, No (`\p{N}`).
    case number
    /// Everything else (`[^\s\p{L}\p{N}]`).
    case other

    init(_ scalar: Unicode.Scalar) {
        if scalar == " " {
            self = .space
            return
        }
        if scalar.properties.isWhitespace {
            self = .whitespace
            return
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }

    var isWhitespace: Bool { self == .space || self == .whitespace }
}
