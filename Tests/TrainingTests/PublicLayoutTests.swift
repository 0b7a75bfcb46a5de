import Datasets
import Foundation
import Training
import Testing

/// Real datasets drop in as their public releases lay them out: the trainer's loader and the
/// evaluator find the images where SLAKE, VQA-RAD and LLaVA-Med put them, and say what they skipped.
struct PublicLayoutTests {
    /// A grey image written as PNG bytes under `name` (the decoders recognise files by their bytes,
    /// so a `.jpg` name is fine).
    static func writeImage(_ name: String, in root: URL, level: UInt8) throws {
        let file = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let image = try DecodedImage(rows: 16, columns: 16, colorModel: .monochrome2, samples: .uint8([UInt8](repeating: level, count: 256)))
        try Data(try PNGEncoder.encode(image)).write(to: file)
    }

    /// SLAKE: `imgs/xmlabN/source.jpg` under the split files' directory; Chinese questions skipped and counted.
    @Test func slakeSplitTrainsAndEvaluates() throws {
        let root = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.writeImage("imgs/xmlab1/source.jpg", in: root, level: 40)
        try Self.writeImage("imgs/xmlab2/source.jpg", in: root, level: 200)
        let file = root.appendingPathComponent("test.json").path
        try Data(#"""
        [{"img_id": 1, "img_name": "xmlab1/source.jpg", "question": "Is the lung healthy?", "answer": "No", "q_lang": "en",
          "answer_type": "CLOSED", "content_type": "Abnormality", "modality": "X-Ray", "qid": 1},
         {"img_id": 1, "img_name": "xmlab1/source.jpg", "question": "肺部健康吗?", "answer": "不", "q_lang": "zh",
          "answer_type": "CLOSED", "content_type": "Abnormality", "modality": "X-Ray", "qid": 2},
         {"img_id": 2, "img_name": "xmlab2/source.jpg", "question": "Which organ is shown?", "answer": "Brain", "q_lang": "en",
          "answer_type": "OPEN", "content_type": "Organ", "modality": "MRI", "qid": 3}]
        """#.utf8).write(to: URL(fileURLWithPath: file))

        let loaded = try ExampleLoader.questions(vqaFile: file, imageSize: 16)
        #expect(loaded.examples.map(\.id) == ["1", "3"])
        // Each example has its own image: grey level 40, then 200, CLIP-normalised (red channel).
        let red = [40, 200].map { (Float($0) / 255 - ImagePreprocessor.clipMean[0]) / ImagePreprocessor.clipStandardDeviation[0] }
        for (example, expected) in zip(loaded.examples, red) {
            #expect(abs((example.pixels?.first ?? .nan) - expected) < 1e-5)
        }
        #expect(loaded.notes == ["\(file): 2 items loaded; skipped 1 (non-English (q_lang zh))"])

        let tokenizer = try TrainingFixtures.tokenizer()
        var evaluator = VQAEvaluator()
        evaluator.maximumNewTokens = 3
        let result = try evaluator.evaluate(model: TrainingFixtures.model(tokenizer: tokenizer), tokenizer: tokenizer, vqaFile: file)
        #expect(result.predictions.count == 2)
        #expect(result.evaluation.groups.first { $0.name == "all" }?.count == 2)
    }

    /// VQA-RAD: one JSON beside `VQA_RAD Image Folder/`, "NULL" answers skipped, its extra fields known.
    @Test func vqaRADReleaseLoads() throws {
        let root = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.writeImage("VQA_RAD Image Folder/synpic100.jpg", in: root, level: 90)
        let file = root.appendingPathComponent("VQA_RAD Dataset Public.json").path
        try Data(#"""
        [{"qid": 1, "image_name": "synpic100.jpg", "image_organ": "HEAD", "answer": 2, "answer_type": "OPEN",
          "question_type": "COUNT", "question": "How many lesions?", "phrase_type": "freeform", "evaluation": "given"},
         {"qid": 2, "image_name": "synpic100.jpg", "image_organ": "HEAD", "answer": "NULL", "answer_type": "OPEN",
          "question_type": "PRES", "question": "What?", "phrase_type": "freeform", "evaluation": "given"}]
        """#.utf8).write(to: URL(fileURLWithPath: file))
        let loaded = try ExampleLoader.questions(vqaFile: file, imageSize: 16)
        #expect(loaded.examples.map(\.answers) == [["2"]])
        #expect(loaded.notes == ["\(file): 1 items loaded; skipped 1 (question or answer is \"NULL\")"])
    }

    /// LLaVA-Med: the instruct JSON names bare image files that live in a directory of their own.
    @Test func llavaMedInstructionsWithAnImageDirectory() throws {
        let root = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.writeImage("pmc-images/PMC1_F2.jpg", in: root, level: 128)
        let file = root.appendingPathComponent("llava_med_instruct_10k.json").path
        try Data(#"""
        [{"id": "PMC1_F2", "image": "PMC1_F2.jpg", "domain": {"chest_xray": true},
          "conversations": [{"from": "human", "value": "<image>\nWhat is shown?"}, {"from": "gpt", "value": "A chest film."}]}]
        """#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: DatasetError.missingImage(file: file, item: 0, image: "PMC1_F2.jpg")) {
            try ExampleLoader.instructions(file: file, imageSize: 16)
        }
        let loaded = try ExampleLoader.instructions(file: file, imageSize: 16, imageDirectory: root.appendingPathComponent("pmc-images").path)
        #expect(loaded.examples.map(\.id) == ["PMC1_F2"])
        #expect(loaded.examples.first?.pixels?.count == 3 * 16 * 16)
        #expect(loaded.notes == ["\(file): 1 items loaded; unknown fields ignored: domain (in 1)"])
    }
}
