import Foundation
import Testing
@testable import Datasets

/// The whole data set on disk: the documented layout, byte-identical reruns, and loadable files.
struct MedSynthWriterTests {
    /// A small data set: 2 sites of 40 images, a 40-image public split, 80 global and 20 site test items.
    static func smallOptions(threads: Int = 1) -> MedSynthOptions {
        var options = MedSynthOptions()
        options.seed = 11
        options.sites = 2
        options.imagesPerSite = 40
        options.publicImages = 40
        options.testItems = 80
        options.siteTestItems = 20
        options.threads = threads
        return options
    }

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "medsynth-tests-\(name)-\(UUID().uuidString)"
        return path
    }

    /// Every regular file under `root`, as relative paths, sorted.
    static func files(under root: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(path)
            }
        }
        return files.sorted()
    }

    /// Two runs with the same seed and options, one on 1 thread and one on 3, give the same files byte for byte.
    @Test func writesByteIdenticalFilesForTheSameSeed() throws {
        let first = Self.temporaryDirectory("a"), second = Self.temporaryDirectory("b")
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        _ = try MedSynthWriter.write(Self.smallOptions(threads: 1), to: first)
        _ = try MedSynthWriter.write(Self.smallOptions(threads: 3), to: second)
        let firstFiles = Self.files(under: first), secondFiles = Self.files(under: second)
        #expect(firstFiles == secondFiles)
        #expect(firstFiles.count > 150)
        var differing: [String] = []
        for file in firstFiles where FileManager.default.contents(atPath: first + "/" + file) != FileManager.default.contents(atPath: second + "/" + file) {
            differing.append(file)
        }
        #expect(differing.isEmpty, "files differing between runs: \(differing.prefix(5))")
    }

    /// The layout of docs/DATA_CARD.md, and every JSON file loads through the readers with its images present.
    @Test func writesTheDocumentedLayoutWithLoadableFiles() throws {
        let root = Self.temporaryDirectory("layout")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let summaries = try MedSynthWriter.write(Self.smallOptions(), to: root)
        #expect(summaries.map(\.directory) == [
            "public", "test",
            "sites/site-1/labelled", "sites/site-1/reports", "sites/site-1/unlabelled", "sites/site-1/test",
            "sites/site-2/labelled", "sites/site-2/reports", "sites/site-2/unlabelled", "sites/site-2/test",
        ])
        #expect(FileManager.default.fileExists(atPath: root + "/medsynth.json"))
        let publicInstruct = try LlavaInstructDataset(contentsOf: root + "/public/llava_instruct.json")
        #expect(publicInstruct.records.count == 40)
        #expect(publicInstruct.summary.unknownFields.isEmpty)
        for record in publicInstruct.records {
            #expect(record.extendedAnswers?.count == record.answers.count)
            // LoGra-Med's third view: each answer rewritten longer, never the answer copied into it.
            for (answer, extended) in zip(record.answers, record.extendedAnswers ?? []) {
                #expect(extended.split(separator: " ").count > answer.split(separator: " ").count, "\(answer) → \(extended)")
                #expect(!extended.contains(answer), "\(answer) → \(extended)")
            }
            #expect(record.conversations.first?.value.contains(InstructRecord.imagePlaceholder) == true)
            #expect((2...8).contains(record.conversations.count))
        }
        let reports = try ReportsFile(contentsOf: root + "/sites/site-1/reports/reports.jsonl")
        #expect(reports.entries.count == 10)
        let siteLabelled = try LlavaInstructDataset(contentsOf: root + "/sites/site-2/labelled/llava_instruct.json")
        #expect(siteLabelled.records.count == 20)
        let unlabelled = Self.files(under: root + "/sites/site-1/unlabelled")
        #expect(unlabelled.count == 10 && unlabelled.allSatisfy { $0.hasSuffix(".png") && !$0.contains("/") })

        let test = try VQADataset(contentsOf: root + "/test/vqa.json")
        #expect(test.items.count == 80)
        for modality in Modality.allCases {
            #expect(test.items.filter { $0.modality == modality.rawValue }.count == 20)
        }
        let closed = test.items.filter { $0.answerType == .closed }
        #expect(closed.count == 40)
        for type in Set(closed.map(\.questionType)) {
            let ofType = closed.filter { $0.questionType == type }
            let yes = ofType.filter { $0.answer == "yes" }.count
            #expect(abs(2 * yes - ofType.count) <= 2, "question type \(type): \(yes) yes of \(ofType.count)")
        }
        let siteTest = try VQADataset(contentsOf: root + "/sites/site-1/test/vqa.json")
        #expect(siteTest.items.count == 20)
        let image = try ImageFile(contentsOf: root + "/" + "test/" + test.items[0].image)
        #expect(image.image.rows == 64 && image.format == .png)
    }

    @Test func rejectsAnImageSizeAbove512() {
        var options = Self.smallOptions()
        options.imageSize = 600
        #expect(throws: DatasetError.invalidOption(name: "image-size", value: "600", expected: "16...512 pixels")) {
            _ = try MedSynthWriter.write(options, to: Self.temporaryDirectory("never"))
        }
    }

    @Test func parsesNamedHeterogeneities() throws {
        #expect(try MedSynthOptions.heterogeneity(parsing: "high") == 0.8)
        #expect(try MedSynthOptions.heterogeneity(parsing: "low") == 0.2)
        #expect(try MedSynthOptions.heterogeneity(parsing: "0.35") == 0.35)
        #expect(throws: DatasetError.invalidOption(name: "heterogeneity", value: "extreme", expected: "low, high or a number in [0, 1]")) {
            try MedSynthOptions.heterogeneity(parsing: "extreme")
        }
    }
}
