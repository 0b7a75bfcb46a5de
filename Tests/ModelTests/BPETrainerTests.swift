import Foundation
import Model
import Testing

struct BPETrainerTests {
    /// The corpus of shared/fixtures/make_hf_fixtures.py, which trained the fixture tokenizer.
    static let fixtureCorpus = Array(
        repeating: [
            "There is a 12 mm nodule in the right upper lobe.",
            "No pleural effusion. The cardiac silhouette is within normal limits.",
            "Axial T2-weighted MRI shows a hyperintense lesion in the left frontal lobe.",
            "Is there evidence of pneumothorax? No.",
            "CT of the abdomen demonstrates a hypodense liver lesion measuring 2.3 cm.",
            "Findings: mild cardiomegaly; small left effusion; no focal consolidation.",
            "What modality is this image? Chest X-ray.",
            "Histopathology shows dense clusters of atypical cells with large nuclei.",
        ], count: 20
    ).flatMap { $0 }
    static let specialTokens = ["<unk>", "<s>", "</s>", "<image>"]
    static let unseenTexts = [
        "Évaluation: lésion hépatique de 2,3 cm — pas d'épanchement.",
        "胸部X線写真で右上葉に結節影を認める。",
        "Patient's MRI (T1/T2) shows 3 lesions; the largest is 14 mm 🙂.",
        "<image>\nWhat abnormality is seen?  Answer:\tnone ",
    ]

    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    }

    /// A wider corpus than the fixture's: more words, more scripts, so that many merges are learned.
    static func mixedCorpus() -> [String] {
        let cases = ["tokenizer_cases.json", "tokenizer_extra_cases.json"].flatMap { name -> [String] in
            guard let url = try? fixture(name), let data = try? Data(contentsOf: url),
                let objects = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
            else { return [] }
            return objects.compactMap { $0["text"] as? String }
        }
        return fixtureCorpus + cases + unseenTexts.dropLast()
    }

    @Test func reproducesHFTrainerOutputByteForByte() throws {
        let trained = try BPETrainer(vocabularySize: 316, specialTokens: Self.specialTokens).train(on: Self.fixtureCorpus)
        let reference = try Data(contentsOf: Self.fixture("tokenizer.json"))
        #expect(trained.jsonData() == reference)
    }

    @Test func writesLoadedFixtureBackUnchanged() throws {
        let reference = try Data(contentsOf: Self.fixture("tokenizer.json"))
        #expect(try BPETokenizer(data: reference, source: "tokenizer.json").jsonData() == reference)
    }

    @Test func trainsTheSameBytesWhateverTheCorpusOrder() throws {
        let trainer = BPETrainer(vocabularySize: 400, specialTokens: Self.specialTokens)
        let corpus = Self.mixedCorpus()
        let forward = try trainer.train(on: corpus).jsonData()
        #expect(try trainer.train(on: corpus).jsonData() == forward)
        #expect(try trainer.train(on: corpus.reversed()).jsonData() == forward)
    }

    @Test func roundTripsCorpusAndUnseenTextThroughWrittenFile() throws {
        let trained = try BPETrainer(vocabularySize: 400, specialTokens: Self.specialTokens).train(on: Self.mixedCorpus())
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-trainer-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try trained.write(to: url)
        let loaded = try BPETokenizer(contentsOf: url)
        #expect(loaded.vocabularySize == 400)
        #expect(loaded.imageTokenID == 3)
        for text in Self.mixedCorpus().prefix(8) + Self.unseenTexts {
            let ids = loaded.encode(text)
            #expect(ids == trained.encode(text))
            #expect(loaded.decode(ids, skipSpecialTokens: false) == text)
        }
        // Learned merges make corpus words short: "effusion" is a few tokens, not 8 bytes.
        #expect(loaded.encode(" effusion").count <= 2)
    }

    @Test func stopsWhenNoPairIsLeft() throws {
        let trained = try BPETrainer(vocabularySize: 10_000, specialTokens: []).train(on: ["abab", "ab"])
        // Pairs: (a,b) → "ab", then ("ab","ab") → "abab"; nothing else to merge.
        #expect(trained.vocabularySize == 258)
        #expect(trained.encode("abab ab") == [trained.id(forToken: "abab"), trained.id(forToken: "Ġ"), trained.id(forToken: "ab")])
    }

    @Test func rejectsVocabularySmallerThanTheAlphabet() {
        #expect(throws: TokenizerError.vocabularySizeTooSmall(requested: 100, minimum: 260)) {
            try BPETrainer(vocabularySize: 100, specialTokens: Self.specialTokens).train(on: Self.fixtureCorpus)
        }
    }

    @Test func rejectsRepeatedOrEmptySpecialTokens() {
        #expect(throws: TokenizerError.invalidSpecialToken(token: "<s>", reason: "it is listed twice")) {
            try BPETrainer(vocabularySize: 300, specialTokens: ["<s>", "<s>"]).train(on: Self.fixtureCorpus)
        }
        #expect(throws: TokenizerError.invalidSpecialToken(token: "", reason: "it is empty")) {
            try BPETrainer(vocabularySize: 300, specialTokens: [""]).train(on: Self.fixtureCorpus)
        }
    }

    /// HF `tokenizers` must load the trained file and give our ids. Needs `python3` with `tokenizers`
    /// (`pip install tokenizers`); without them the check is skipped with a notice, as tests run offline.
    @Test func hfTokenizersLoadsTrainedFileWithSameIDs() throws {
        let trained = try BPETrainer(vocabularySize: 400, specialTokens: Self.specialTokens).train(on: Self.mixedCorpus())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-hf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let textsURL = directory.appendingPathComponent("texts.json")
        try trained.write(to: tokenizerURL)
        let texts = Self.mixedCorpus().prefix(8) + Self.unseenTexts
        try JSONSerialization.data(withJSONObject: Array(texts)).write(to: textsURL)
        let script = """
            import json, sys
            try:
                from tokenizers import Tokenizer
            except ImportError:
                sys.exit(3)
            tok = Tokenizer.from_file(sys.argv[1])
            print(json.dumps([tok.encode(t).ids for t in json.load(open(sys.argv[2]))]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, tokenizerURL.path, textsURL.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            print("notice: python3 not found; HF tokenizers parity of the trained file not checked")
            return
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus != 3 else {
            print("notice: python3 cannot import tokenizers (pip install tokenizers); HF parity of the trained file not checked")
            return
        }
        try #require(process.terminationStatus == 0)
        let hfIDs = try #require(try JSONSerialization.jsonObject(with: data) as? [[Int]])
        #expect(hfIDs == texts.map { trained.encode($0) })
        print("HF tokenizers loaded the trained tokenizer.json and matched our ids on \(hfIDs.count) texts")
    }
}
