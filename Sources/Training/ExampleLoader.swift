import Datasets
import Foundation
import Model
import Tensor

/// Reads training and evaluation data from the dataset formats (LLaVA-Med instruct JSON, reports
/// JSON lines, VQA JSON) into what the trainer and the evaluator use, images preprocessed to the
/// model's size (CLIP normalisation).
public enum ExampleLoader {
    /// The question that turns an image–report pair into a captioning conversation (LLaVA stage 1).
    public static let captionQuestion = "<image>\nDescribe the image."

    /// Examples read from data files, and for the user to see, a line per file on what its loader
    /// skipped or did not recognise (``DatasetLoadSummary/note(file:)``).
    public struct Loaded: Sendable {
        public var examples: [TrainingExample] = []
        public var notes: [String] = []

        public init() {}

        init(examples: [TrainingExample], summary: DatasetLoadSummary, file: String) {
            self.examples = examples
            notes = summary.note(file: file).map { [$0] } ?? []
        }

        /// Adds `other`'s examples and notes after these.
        public static func += (loaded: inout Loaded, other: Loaded) {
            loaded.examples += other.examples
            loaded.notes += other.notes
        }
    }

    /// Conversations of a LLaVA-Med instruct JSON file; image paths are relative to `imageDirectory`,
    /// by default the file's directory.
    /// - Throws: ``DatasetError`` for a malformed file or an unreadable image.
    public static func instructions(file: String, imageSize: Int, imageDirectory: String? = nil) throws -> Loaded {
        let dataset = try LlavaInstructDataset(contentsOf: file, imageDirectory: imageDirectory)
        let pixels = try images(dataset.imageFiles, imageSize: imageSize)
        let examples = zip(dataset.records, pixels).map { record, pixels in
            TrainingExample(id: record.id, pixels: pixels,
                            turns: record.conversations.map { .init(role: $0.speaker == .human ? .human : .assistant, text: $0.value) },
                            extendedAnswers: record.extendedAnswers ?? [])
        }
        return Loaded(examples: examples, summary: dataset.summary, file: file)
    }

    /// Image–report pairs of a reports JSON-lines file, as captioning conversations.
    public static func captioned(reportsFile file: String, imageSize: Int) throws -> [TrainingExample] {
        let reports = try ReportsFile(contentsOf: file)
        let pixels = try images(reports.imageFiles, imageSize: imageSize)
        return zip(reports.entries, pixels).enumerated().map { index, pair in
            TrainingExample(id: "report-\(index)", pixels: pair.1,
                            turns: [.init(role: .human, text: captionQuestion), .init(role: .assistant, text: pair.0.report)])
        }
    }

    /// Questions of a VQA JSON file as one-turn conversations (`<image>` + question → answer), the
    /// short-answer form evaluation asks for; images found as ``VQADataset`` finds them.
    public static func questions(vqaFile file: String, imageSize: Int, imageDirectory: String? = nil) throws -> Loaded {
        let dataset = try VQADataset(contentsOf: file, imageDirectory: imageDirectory)
        let pixels = try images(dataset.imageFiles, imageSize: imageSize)
        let examples = zip(dataset.items, pixels).map { item, pixels in
            TrainingExample(id: item.id, pixels: pixels,
                            turns: [.init(role: .human, text: "<image>\n" + item.question), .init(role: .assistant, text: item.answer)])
        }
        return Loaded(examples: examples, summary: dataset.summary, file: file)
    }

    /// Preprocessed pixels `(3, S, S)` per path (nil stays nil), read in batches. Each distinct
    /// file is decoded once; the examples of one image (a VQA file asks ~10 questions of each)
    /// share its pixel array.
    static func images(_ paths: [String?], imageSize: Int) throws -> [[Float]?] {
        let preprocessor = ImagePreprocessor(imageSize: imageSize)
        var distinct: [String] = []
        var slot: [String: Int] = [:]
        for case let path? in paths where slot[path] == nil {
            slot[path] = distinct.count
            distinct.append(path)
        }
        let perImage = 3 * imageSize * imageSize
        var decoded: [[Float]] = []
        decoded.reserveCapacity(distinct.count)
        for start in stride(from: 0, to: distinct.count, by: 256) {
            let batch = try preprocessor.batch(contentsOf: Array(distinct[start..<Swift.min(distinct.count, start + 256)]))
            for index in 0..<batch.shape[0] { decoded.append(Array(batch.values[(index * perImage)..<((index + 1) * perImage)])) }
        }
        return paths.map { path in path.flatMap { slot[$0] }.map { decoded[$0] } }
    }
}
