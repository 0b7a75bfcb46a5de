import Datasets
import Foundation
import Model
import Tensor
@testable import Training
import Testing

struct RetrievalEvaluatorTests {
    /// Grey images of different brightness, with stripes across or down, and a report saying which.
    static func writePairs(to directory: URL, count: Int = 8, side: Int = 16) throws -> URL {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("images"), withIntermediateDirectories: true)
        let shades = ["black", "dark", "dim", "grey", "pale", "light", "bright", "white"]
        var lines: [String] = []
        for index in 0..<count {
            let level = 20 + 30 * (index % shades.count), across = index % 2 == 0
            let pixels = (0..<(side * side)).map { position in
                UInt8(level + ((across ? position / side : position % side) % 4 < 2 ? 10 : 0))
            }
            let image = try DecodedImage(rows: side, columns: side, colorModel: .monochrome2, samples: .uint8(pixels))
            try Data(try PNGEncoder.encode(image)).write(to: directory.appendingPathComponent("images/\(index).png"))
            let report = "A \(shades[index % shades.count]) study with stripes \(across ? "across" : "down")."
            lines.append("{\"image\":\"images/\(index).png\",\"report\":\"\(report)\"}")
        }
        let file = directory.appendingPathComponent("reports.jsonl")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        return file
    }

    /// The evaluator's recall is the metric applied to the two InfoNCE views, batch by batch in file
    /// order (3 pairs per batch over 8 pairs, so batches end mid-file).
    @Test func recallIsTheMetricOfTheAlignmentViews() throws {
        let directory = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.writePairs(to: directory)
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        var evaluator = RetrievalEvaluator()
        evaluator.batchSize = 3
        let (pairs, _, recall) = try evaluator.evaluate(model: model, tokenizer: tokenizer, reportsFile: file.path)

        let examples = try ExampleLoader.captioned(reportsFile: file.path, imageSize: 16)
        let pixels = Tensor(shape: [8, 3, 16, 16], values: examples.flatMap { $0.pixels ?? [] })
        let images = model.imageFeatures(pixels, .inference).mean(alongAxis: 1).values
        let texts = try InfoNCEObjective.pooledTextStates(examples.map { $0.answers[0] }, model: model, tokenizer: tokenizer,
                                                          maximumLength: evaluator.maximumTextLength, context: .inference).values
        let expected = try RetrievalMetrics.recall(images: images, texts: texts, width: model.configuration.text.hiddenSize)
        #expect(pairs == 8)
        #expect(recall == expected)
    }

    /// Ten pairs over eight reports (pairs 8 and 9 repeat 0's and 1's text): the evaluator groups
    /// them by text, so each shared report is one candidate.
    @Test func pairsSharingAReportAreGrouped() throws {
        let directory = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.writePairs(to: directory, count: 10)
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        let (pairs, reports, recall) = try RetrievalEvaluator().evaluate(model: model, tokenizer: tokenizer, reportsFile: file.path)
        #expect(pairs == 10 && reports == 8)

        let examples = try ExampleLoader.captioned(reportsFile: file.path, imageSize: 16)
        let pixels = Tensor(shape: [10, 3, 16, 16], values: examples.flatMap { $0.pixels ?? [] })
        let images = model.imageFeatures(pixels, .inference).mean(alongAxis: 1).values
        let texts = try InfoNCEObjective.pooledTextStates(examples.map { $0.answers[0] }, model: model, tokenizer: tokenizer,
                                                          maximumLength: RetrievalEvaluator().maximumTextLength, context: .inference).values
        let width = model.configuration.text.hiddenSize
        #expect(recall == (try RetrievalMetrics.recall(images: images, texts: texts, width: width, groups: [0, 1, 2, 3, 4, 5, 6, 7, 0, 1])))
    }

    /// Training the alignment objective alone on the pairs (150 steps) finds every pair's partner
    /// first, both ways; the untrained model finds 3 of 8.
    @Test func alignmentTrainingRaisesRecall() throws {
        let directory = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.writePairs(to: directory)
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        let before = try RetrievalEvaluator().evaluate(model: model, tokenizer: tokenizer, reportsFile: file.path).recall
        let configuration = TrainingFixtures.configuration(steps: 150, objectives: [.init(name: "infonce", options: ["temperature": "0.1"])])
        try LocalTrainer(model: model, tokenizer: tokenizer, configuration: configuration,
                         examples: try ExampleLoader.captioned(reportsFile: file.path, imageSize: 16)).train()
        let after = try RetrievalEvaluator().evaluate(model: model, tokenizer: tokenizer, reportsFile: file.path).recall
        print("retrieval R@1 image→report: before \(before.imageToText[1] ?? -1), after \(after.imageToText[1] ?? -1); "
              + "report→image after \(after.textToImage[1] ?? -1)")
        #expect((before.imageToText[1] ?? 1) <= 0.5)
        #expect(after.imageToText[1] == 1)
        #expect(after.textToImage[1] == 1)
    }

    @Test func fewerThanTwoPairsIsAnError() throws {
        let directory = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.writePairs(to: directory, count: 1)
        let tokenizer = try TrainingFixtures.tokenizer()
        #expect(throws: DatasetError.invalidOption(name: "retrieval pairs", value: "1 in \(file.path)", expected: "at least 2 image–report pairs")) {
            try RetrievalEvaluator().evaluate(model: TrainingFixtures.model(tokenizer: tokenizer), tokenizer: tokenizer, reportsFile: file.path)
        }
    }
}
