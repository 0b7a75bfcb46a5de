import Datasets
import Foundation
import Model
import Training
import Testing

struct VQAEvaluatorTests {
    /// Batches answered side by side on three threads give the answers of one batch at a time, in
    /// the items' order (22 items in batches of 4: two rounds of three batches, then one alone).
    @Test func answersDoNotDependOnThreads() throws {
        let root = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        var options = MedSynthOptions()
        options.seed = 3
        options.sites = 1
        options.imagesPerSite = 10
        options.publicImages = 30
        options.testItems = 22
        options.siteTestItems = 0
        _ = try MedSynthWriter.write(options, to: root.path)
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        var evaluator = VQAEvaluator()
        evaluator.batchSize = 4
        evaluator.maximumNewTokens = 5
        let vqaFile = root.appendingPathComponent("test/vqa.json").path
        let one = try evaluator.evaluate(model: model, tokenizer: tokenizer, vqaFile: vqaFile).predictions
        evaluator.threads = 3
        let three = try evaluator.evaluate(model: model, tokenizer: tokenizer, vqaFile: vqaFile).predictions
        #expect(one.count == 22)
        #expect(three == one)
    }

    /// A limit takes items spread over the file, not its first ones (test files are sorted).
    @Test func aLimitSpreadsOverTheFile() {
        #expect(VQAEvaluator.sample(count: 10, limit: 4) == [0, 2, 5, 7])
        #expect(VQAEvaluator.sample(count: 3, limit: nil) == [0, 1, 2])
        #expect(VQAEvaluator.sample(count: 3, limit: 5) == [0, 1, 2])
        #expect(VQAEvaluator.sample(count: 3, limit: 0) == [])
    }
}
