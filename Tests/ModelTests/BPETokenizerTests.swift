import Foundation
@testable import Model
import Testing

struct BPETokenizerTests {
    struct Case: Decodable, CustomTestStringConvertible {
        let text: String
        let ids: [Int]
        var testDescription: String { text.debugDescription }
    }

    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    }

    static func cases(_ name: String) -> [Case] {
        // A missing or broken fixture yields no arguments, which `referenceFixturesArePresent` reports.
        guard let url = try? fixture(name), let data = try? Data(contentsOf: url) else { return [] }
        return (try? JSONDecoder().decode([Case].self, from: data)) ?? []
    }

    static let tokenizer = Result { try BPETokenizer(contentsOf: fixture("tokenizer.json")) }

    /// The fixture's JSON with one edit, for the error tests.
    static func editedFixture(_ edit: (inout [String: Any]) -> Void) throws -> Data {
        let data = try Data(contentsOf: fixture("tokenizer.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&json)
        return try JSONSerialization.data(withJSONObject: json)
    }

    static func editedModel(_ edit: @escaping (inout [String: Any]) -> Void) throws -> Data {
        try editedFixture { json in
            var model = json["model"] as? [String: Any] ?? [:]
            edit(&model)
            json["model"] = model
        }
    }

    @Test func referenceFixturesArePresent() {
        #expect(Self.cases("tokenizer_cases.json").count == 5)
        #expect(Self.cases("tokenizer_extra_cases.json").count == 25)
    }

    /// The five cases encoded by HF `tokenizers` in shared/fixtures/make_hf_fixtures.py.
    @Test(arguments: cases("tokenizer_cases.json"))
    func encodesReferenceCasesExactly(_ reference: Case) throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(tokenizer.encode(reference.text) == reference.ids)
        #expect(tokenizer.decode(reference.ids, skipSpecialTokens: false) == reference.text)
    }

    /// Whitespace runs, contractions, added tokens inside text, other scripts, emoji, long words:
    /// encoded by HF `tokenizers` 0.23.3 (Fixtures/make_tokenizer_extra_cases.py).
    @Test(arguments: cases("tokenizer_extra_cases.json"))
    func encodesEdgeCasesExactly(_ reference: Case) throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(tokenizer.encode(reference.text) == reference.ids)
        #expect(tokenizer.decode(reference.ids, skipSpecialTokens: false) == reference.text)
    }

    /// `add_prefix_space` puts a space before each text piece between added tokens that lacks one,
    /// as HF does (cases from Fixtures/make_tokenizer_extra_cases.py).
    @Test func addsPrefixSpaceLikeHF() throws {
        let data = try Self.editedFixture { json in
            json["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true]
        }
        let tokenizer = try BPETokenizer(data: data, source: "prefix-space.json")
        let references = Self.cases("tokenizer_prefix_space_cases.json")
        #expect(references.count == 6)
        for reference in references {
            #expect(tokenizer.encode(reference.text) == reference.ids, "\(reference.text.debugDescription)")
        }
    }

    /// A byte whose symbol is missing from the vocabulary becomes `unk_token`, or is dropped when
    /// there is none (ids checked against HF tokenizers 0.23.3 on the same edited file).
    @Test func mapsBytesMissingFromVocabularyToUnknownTokenAsHF() throws {
        let withoutTilde = try Self.editedModel { model in
            var vocabulary = model["vocab"] as? [String: Int] ?? [:]
            vocabulary["~"] = nil
            model["vocab"] = vocabulary
        }
        #expect(try BPETokenizer(data: withoutTilde, source: "t.json").encode("a~b ~") == [68, 69, 224])
        let withUnknown = try Self.editedModel { model in
            var vocabulary = model["vocab"] as? [String: Int] ?? [:]
            vocabulary["~"] = nil
            model["vocab"] = vocabulary
            model["unk_token"] = "<unk>"
        }
        #expect(try BPETokenizer(data: withUnknown, source: "t.json").encode("a~b ~") == [68, 0, 69, 224, 0])
    }

    @Test func exposesSpecialTokenIDsAndVocabulary() throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(tokenizer.vocabularySize == 316)
        #expect(tokenizer.unknownTokenID == 0)
        #expect(tokenizer.beginningOfSequenceID == 1)
        #expect(tokenizer.endOfSequenceID == 2)
        #expect(tokenizer.imageTokenID == 3)
        #expect(tokenizer.id(forToken: "Ġ") == 224)
        #expect(tokenizer.token(forID: 224) == "Ġ")
        #expect(tokenizer.token(forID: 316) == nil)
        #expect(tokenizer.token(forID: -1) == nil)
        #expect(tokenizer.addedTokens.map(\.content) == ["<unk>", "<s>", "</s>", "<image>"])
        #expect(tokenizer.addedTokens.allSatisfy { $0.isSpecial })
    }

    @Test func skipsSpecialTokensWhenDecodingOnRequest() throws {
        let tokenizer = try Self.tokenizer.get()
        let ids = tokenizer.encode("<s>USER: <image>\nIs there a nodule?</s>")
        #expect(tokenizer.decode(ids, skipSpecialTokens: true) == "USER: \nIs there a nodule?")
        #expect(tokenizer.decode(ids, skipSpecialTokens: false) == "<s>USER: <image>\nIs there a nodule?</s>")
    }

    /// Swift's `==` treats "é" and "e" + U+0301 as equal; their bytes, and so their tokens, differ.
    @Test func encodesCanonicallyEquivalentSpellingsByTheirBytes() throws {
        let tokenizer = try Self.tokenizer.get()
        let composed = tokenizer.encode("caf\u{E9}")
        let decomposed = tokenizer.encode("cafe\u{301}")
        #expect(composed != decomposed)
        #expect(tokenizer.decode(decomposed, skipSpecialTokens: false).unicodeScalars.count == 5)
    }

    @Test func loadsMergesWrittenAsSpaceSeparatedStrings() throws {
        let legacy = try Self.editedModel { model in
            let pairs = model["merges"] as? [[String]] ?? []
            model["merges"] = pairs.map { $0.joined(separator: " ") }
        }
        let tokenizer = try BPETokenizer(data: legacy, source: "legacy.json")
        for reference in Self.cases("tokenizer_cases.json") {
            #expect(tokenizer.encode(reference.text) == reference.ids)
        }
    }

    @Test func rejectsUnreadableFile() {
        let url = URL(fileURLWithPath: "/nonexistent/tokenizer.json")
        #expect {
            try BPETokenizer(contentsOf: url)
        } throws: { error in
            guard case let .fileUnreadable(file, _) = error as? TokenizerError else { return false }
            return file == "/nonexistent/tokenizer.json"
        }
    }

    @Test func rejectsInvalidJSON() {
        #expect(throws: TokenizerError.invalidJSON(file: "bad.json", field: "", reason: "not valid JSON")) {
            try BPETokenizer(data: Data("{\"model\": ".utf8), source: "bad.json")
        }
    }

    @Test func rejectsMissingVocabulary() throws {
        let data = try Self.editedModel { $0["vocab"] = nil }
        #expect(throws: TokenizerError.invalidJSON(file: "t.json", field: "model.vocab", reason: "missing")) {
            try BPETokenizer(data: data, source: "t.json")
        }
    }

    @Test func rejectsOtherModelTypes() throws {
        let data = try Self.editedModel { $0["type"] = "WordPiece" }
        let expected = TokenizerError.unsupportedSetting(file: "t.json", field: "model.type", found: "WordPiece", supported: ["BPE"])
        #expect(throws: expected) { try BPETokenizer(data: data, source: "t.json") }
        // Unigram's vocab is a list of [piece, score] pairs: named by its type, not by the vocab's JSON type.
        let unigram = try Self.editedModel { $0 = ["type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.5]]] }
        #expect(throws: TokenizerError.unsupportedSetting(file: "t.json", field: "model.type", found: "Unigram", supported: ["BPE"])) {
            try BPETokenizer(data: unigram, source: "t.json")
        }
    }

    @Test func rejectsNormalizers() throws {
        let data = try Self.editedFixture { $0["normalizer"] = ["type": "NFC"] }
        let expected = TokenizerError.unsupportedSetting(file: "t.json", field: "normalizer", found: "NFC", supported: ["null"])
        #expect(throws: expected) { try BPETokenizer(data: data, source: "t.json") }
    }

    @Test func rejectsOtherPreTokenizers() throws {
        let whitespace = try Self.editedFixture { $0["pre_tokenizer"] = ["type": "Whitespace"] }
        #expect(
            throws: TokenizerError.unsupportedSetting(
                file: "t.json", field: "pre_tokenizer.type", found: "Whitespace", supported: ["ByteLevel"])
        ) { try BPETokenizer(data: whitespace, source: "t.json") }
        let noRegex = try Self.editedFixture { $0["pre_tokenizer"] = ["type": "ByteLevel", "use_regex": false] }
        #expect(
            throws: TokenizerError.unsupportedSetting(
                file: "t.json", field: "pre_tokenizer.use_regex", found: "false", supported: ["true"])
        ) { try BPETokenizer(data: noRegex, source: "t.json") }
    }

    @Test func rejectsAddedTokenStripping() throws {
        let data = try Self.editedFixture { json in
            var tokens = json["added_tokens"] as? [[String: Any]] ?? []
            tokens[3]["lstrip"] = true
            json["added_tokens"] = tokens
        }
        let expected = TokenizerError.unsupportedSetting(
            file: "t.json", field: "added_tokens[3].lstrip", found: "true", supported: ["false"])
        #expect(throws: expected) { try BPETokenizer(data: data, source: "t.json") }
    }

    @Test func rejectsMergeOfUnknownToken() throws {
        let data = try Self.editedModel { model in
            var merges = model["merges"] as? [[String]] ?? []
            merges[1] = ["t", "§§"]
            model["merges"] = merges
        }
        #expect(throws: TokenizerError.mergeTokenNotInVocabulary(file: "t.json", index: 1, token: "§§")) {
            try BPETokenizer(data: data, source: "t.json")
        }
    }

    @Test func rejectsMalformedMerge() throws {
        let data = try Self.editedModel { model in
            var merges = model["merges"] as? [Any] ?? []
            merges[2] = "a b c"
            model["merges"] = merges
        }
        #expect(throws: TokenizerError.malformedMerge(file: "t.json", index: 2, value: "\"a b c\"")) {
            try BPETokenizer(data: data, source: "t.json")
        }
    }

    @Test func rejectsTwoTokensWithOneID() throws {
        let data = try Self.editedFixture { json in
            var tokens = json["added_tokens"] as? [[String: Any]] ?? []
            tokens[3]["content"] = "<video>"
            json["added_tokens"] = tokens
        }
        #expect(throws: TokenizerError.conflictingTokenID(file: "t.json", id: 3, tokens: ["<image>", "<video>"])) {
            try BPETokenizer(data: data, source: "t.json")
        }
    }

    @Test func rejectsTokenIDsBeyondTheTokensListed() throws {
        let data = try Self.editedFixture { json in
            var tokens = json["added_tokens"] as? [[String: Any]] ?? []
            tokens[3]["id"] = 1 << 40
            json["added_tokens"] = tokens
        }
        let expected = TokenizerError.invalidJSON(
            file: "t.json", field: "added_tokens", reason: "token \"<image>\" has id 1099511627776, outside 0..<320 for the 320 tokens listed")
        #expect(throws: expected) { try BPETokenizer(data: data, source: "t.json") }
    }

    @Test func rejectsUnwritableDestination() throws {
        let tokenizer = try Self.tokenizer.get()
        let url = URL(fileURLWithPath: "/nonexistent/directory/tokenizer.json")
        #expect {
            try tokenizer.write(to: url)
        } throws: { error in
            guard case let .fileUnwritable(file, _) = error as? TokenizerError else { return false }
            return file == url.path
        }
    }

    /// A merge listed twice takes its last rank, as HF's `BpeBuilder` does (its map keeps the later
    /// entry): with a b, b c, a b, "abc" merges b c first (HF: ['a', 'bc']).
    @Test func aRepeatedMergeTakesItsLastRank() {
        let table = BPEMergeTable(pairs: [(left: 0, right: 1, merged: 3), (left: 1, right: 2, merged: 4), (left: 0, right: 1, merged: 3)])
        #expect(table.merged([0, 1, 2]) == [0, 4])
    }

    /// An id that names no token is left out, as HF's `decode` does (the fixture's model has 320
    /// embedding rows for these 316 tokens).
    @Test func skipsIDsThatNameNoToken() throws {
        let tokenizer = try Self.tokenizer.get()
        #expect(tokenizer.decode([4, 316, -1, 4], skipSpecialTokens: false) == tokenizer.decode([4, 4], skipSpecialTokens: false))
        #expect(!tokenizer.decode([4], skipSpecialTokens: false).isEmpty)
    }

    @Test func describesErrorsWithFileFieldAndValue() {
        let error = TokenizerError.unsupportedSetting(file: "t.json", field: "model.type", found: "Unigram", supported: ["BPE"])
        #expect(error.description == "t.json: model.type is Unigram, Tessera supports only BPE")
    }

    /// Prints encoding speed on ~4 MB of report-like text (no assertion: timings vary with machine load).
    @Test func printsEncodingThroughput() throws {
        let tokenizer = try Self.tokenizer.get()
        let sentences = Self.cases("tokenizer_cases.json").map(\.text) + Self.cases("tokenizer_extra_cases.json").map(\.text)
        var text = ""
        var index = 0
        while text.utf8.count < 4_000_000 {
            text += sentences[index % sentences.count] + " case \(index). "
            index += 1
        }
        let clock = ContinuousClock()
        var ids: [Int] = []
        let elapsed = clock.measure { ids = tokenizer.encode(text) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let megabytes = Double(text.utf8.count) / 1e6
        print("BPETokenizer.encode: \(ids.count) tokens from \(megabytes) MB in \(seconds) s: "
            + "\(Int(Double(ids.count) / seconds)) tokens/s, \(megabytes / seconds) MB/s (debug build)")
        #expect(tokenizer.decode(ids, skipSpecialTokens: false) == text)
    }
}
