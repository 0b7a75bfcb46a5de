import Datasets
import Foundation
import Model
import PlanBinding
@testable import SiteAgent
import Testing

@Suite("Site data check")
struct SiteDataTests {
    /// The items of a JSON array file, read without the dataset loaders.
    static func items(in file: URL) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]])
    }

    @Test("config check's data lines: counts per directory, the loaders' notes, and a missing image named by file and position")
    func checksTheDataARoundReads() throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let data = SiteData(fixture.configuration.data)
        let instructFile = fixture.configuration.data.labelled.appendingPathComponent("llava_instruct.json")
        let questions = try Self.items(in: fixture.configuration.data.labelled.appendingPathComponent("vqa.json")).count
        #expect(try data.check() == [
            "labelled: 4 conversations (llava_instruct.json), \(questions) questions (vqa.json)",
            "test: 4 questions (vqa.json), 2 of them (spread over the file) evaluated after each round",
        ])

        var test = try Self.items(in: data.testFile)
        test[0]["reader_note"] = "seen twice"
        try JSONSerialization.data(withJSONObject: test).write(to: data.testFile)
        #expect(try data.check().last == "\(data.testFile.path): 4 items loaded; unknown fields ignored: reader_note (in 1)")

        // A site whose labelled data is VQA items alone (a SLAKE or VQA-RAD split) trains on those.
        let conversations = try Data(contentsOf: instructFile)
        try FileManager.default.removeItem(at: instructFile)
        #expect(try data.check().first == "labelled: no llava_instruct.json, \(questions) questions (vqa.json)")
        #expect(try data.trainingExamples(imageSize: 16).examples.count == questions)
        #expect(try data.check().last
                == "note: rounds whose plan trains on conversations only (the `ar` option examples = \"conversations\") find nothing to train on here")
        try conversations.write(to: instructFile)

        // One with conversations alone sits out the rounds that train on VQA questions only.
        let labelled = fixture.configuration.data.labelled
        let vqaFile = labelled.appendingPathComponent("vqa.json")
        let vqa = try Data(contentsOf: vqaFile)
        try FileManager.default.removeItem(at: vqaFile)
        #expect(try data.check().last == "note: rounds whose plan trains on vqa only (the `ar` option examples = \"vqa\", the campaign template's) "
                + "find nothing to train on here")
        #expect(throws: SiteAgentError.noTrainingExamples(directory: labelled.path, kind: "vqa")) {
            try data.trainingExamples(imageSize: 16, kinds: .vqa)
        }
        try vqa.write(to: vqaFile)

        let image = try #require(try Self.items(in: instructFile)[0]["image"] as? String)
        try FileManager.default.removeItem(at: fixture.configuration.data.labelled.appendingPathComponent(image))
        #expect(throws: DatasetError.missingImage(file: instructFile.path, item: 0, image: image)) {
            try data.check()
        }
    }
}

@Suite("Site base model check")
struct SiteBaseModelCheckTests {
    @Test("config check reads the local base model as a round does and prints its digest; a broken copy is named")
    func checksTheLocalBaseModel() throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let parameters = try LlavaModel.load(from: fixture.baseDirectory).parameterCount
        #expect(try fixture.configuration.checkBaseModel()
            == "base \(fixture.baseDirectory.path): \(parameters) parameters, digest \(fixture.baseDigest.hex)")

        var external = fixture.configuration  // the weights are the external trainer's to load: counted from config.json
        external.trainerCommand = ["/bin/true"]
        #expect(try external.checkBaseModel() == (try fixture.configuration.checkBaseModel()))

        var downloaded = fixture.configuration
        downloaded.baseModel = nil
        #expect(try downloaded.checkBaseModel() == nil)

        let weights = fixture.baseDirectory.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: weights)
        try bytes.prefix(bytes.count / 2).write(to: weights)
        do {
            _ = try fixture.configuration.checkBaseModel()
            Issue.record("a truncated model.safetensors was accepted")
        } catch {
            #expect("\(error)".contains(weights.path), "\(error)")
        }

        try FileManager.default.removeItem(at: fixture.baseDirectory.appendingPathComponent("tokenizer.json"))
        #expect(throws: PlanBindingError.missingBaseFile(directory: fixture.baseDirectory.path, file: "tokenizer.json")) {
            try fixture.configuration.checkBaseModel()
        }
    }
}
