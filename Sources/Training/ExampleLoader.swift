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

    /// Conversations of a LLaVA-Med instruct JSON file; image paths are relative to the file.
    /// - Throws: ``DatasetError`` for a malformed file or an unreadable image.
    public static func instructions(file: String, imageSize: Int) throws -> [TrainingExample] {
        let dataset = try LlavaInstructDataset(contentsOf: file)
        let directory = (file as NSString).deletingLastPathComponent
        let pixels = try images(dataset.records.map { $0.image.map { resolve($0, in: directory) } }, imageSize: imageSize)
        return zip(dataset.records, pixels).map { record, pixels in
            TrainingExample(id: record.id, pixels: pixels,
                            turns: record.conversations.map { .init(role: $0.speaker == .human ? .human : .assistant, text: $0.value) },
                            extendedAnswers: record.extendedAnswers ?? [])
        }
    }

    /// Image–report pairs of a reports JSON-lines file, as captioning conversations.
    public static func captioned(reportsFile file: String, imageSize: Int) throws -> [TrainingExample] {
        let reports = try ReportsFile(contentsOf: file)
        let directory = (file as NSString).deletingLastPathComponent
        let pixels = try images(reports.entries.map { resolve($0.image, in: directory) }, imageSize: imageSize)
        return zip(reports.entries, pixels).enumerated().map { index, pair in
            TrainingExample(id: "report-\(index)", pixels: pair.1,
                            turns: [.init(role: .human, text: captionQuestion), .init(role: .assistant, text: pair.0.report)])
        }
    }

    /// Questions of a VQA JSON file as one-turn conversations (`<image>` + question → answer), the
    /// short-answer form evaluation asks for.
    public static func questions(vqaFile file: String, imageSize: Int) throws -> [TrainingExample] {
        let dataset = try VQADataset(contentsOf: file)
        let directory = (file as NSString).deletingLastPathComponent
        let pixels = try images(dataset.items.map { resolve($0.image, in: directory) }, imageSize: imageSize)
        return zip(dataset.items, pixels).map { item, pixels in
            TrainingExample(id: item.id, pixels: pixels,
                            turns: [.init(role: .human, text: "<image>\n" + item.question), .init(role: .assistant, text: item.answer)])
        }
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

    static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }
}
