import Datasets
import Foundation
import Ledger
import Model
import PlanBinding
import Protocols
import Security
@testable import SiteAgent
import Tensor
import Training

/// A site in a fresh temporary directory: a consortium CA, a site bundle for `site-a`, a certified
/// ledger key and ledger, a tiny base model with its own tokenizer, one MedSynth site's data, a
/// small plan, and a configuration file naming them all.
struct SiteFixture {
    static let siteID = "site-a"

    let directory: URL
    let authority: CertificateAuthority
    let ledger: LedgerStore
    let baseDirectory: URL
    let baseDigest: SHA256.Digest
    let plan: TrainingPlan
    let configuration: SiteConfiguration

    /// - Parameter editPlan: edits of the example campaign's TOML (already sized down for tests).
    init(editPlan: (inout String) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-site-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        authority = try CertificateAuthority.initialise(directory: directory.appendingPathComponent("ca"), commonName: "Test Consortium CA")
        let bundle = directory.appendingPathComponent("bundle")
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        try authority.issueSiteCertificate(siteID: Self.siteID)
            .write(certificateTo: bundle.appendingPathComponent("site.pem"), privateKeyTo: bundle.appendingPathComponent("site-key.pem"))
        try Data(try authority.certificate.pemRepresentation().utf8).write(to: bundle.appendingPathComponent("ca.pem"))
        let ledgerKey = try Ed25519Key.generate()
        ledger = try LedgerStore.open(at: directory.appendingPathComponent("ledger.sqlite"), key: ledgerKey,
                                      certificate: try authority.issueLedgerCertificate(for: try ledgerKey.publicKey()))

        var options = MedSynthOptions()
        options.sites = 1
        options.imagesPerSite = 8
        options.imageSize = 16
        options.testItems = 0
        options.siteTestItems = 4
        options.publicImages = 0
        let data = directory.appendingPathComponent("data")
        _ = try MedSynthWriter.write(options, to: data.path)

        baseDirectory = directory.appendingPathComponent("base")
        let model = try Self.writeBaseModel(to: baseDirectory, corpusFile: data.appendingPathComponent("sites/site-1/labelled/llava_instruct.json"))
        baseDigest = try BaseModelDirectory(baseDirectory).digest()
        var toml = CampaignDefinition.exampleTOML(Self.campaignSettings)
        editPlan(&toml)
        plan = try CampaignDefinition(toml: toml, source: "test campaign").plan(for: model.baseModelDescription)

        let configurationFile = directory.appendingPathComponent("site.toml")
        try Data(Self.configurationText(baseModel: "base").utf8).write(to: configurationFile)
        configuration = try SiteConfiguration(contentsOf: configurationFile)
    }

    /// The example campaign sized for tests: rounds of 2 steps of 2 examples, 48 tokens each.
    static var campaignSettings: CampaignDefinition.ExampleSettings {
        var settings = CampaignDefinition.ExampleSettings()
        settings.steps = 2
        settings.batchSize = 2
        settings.warmupSteps = 0
        settings.maxSequenceLength = 48
        return settings
    }

    /// The configuration file of the fixture, relative paths and all; `baseModel` nil leaves `[model]` empty.
    /// Two threads, as every in-process training test uses: OpenBLAS's thread count is process-wide,
    /// and a test that changed it would change another test's float rounding mid-run.
    static func configurationText(baseModel: String?) -> String {
        """
        state_directory = "state"
        threads = 2
        [bundle]
        certificate = "bundle/site.pem"
        private_key = "bundle/site-key.pem"
        ca = "bundle/ca.pem"
        aggregator_url = "https://aggregator.test:8443"
        [model]
        \(baseModel.map { "base = \"\($0)\"" } ?? "")
        [data]
        labelled = "data/sites/site-1/labelled"
        test = "data/sites/site-1/test"
        evaluation_items = 2
        """
    }

    /// A tiny model with a BPE vocabulary trained on the conversations' text.
    static func writeBaseModel(to directory: URL, corpusFile: URL) throws -> LlavaModel {
        let corpus = try LlavaInstructDataset(contentsOf: corpusFile.path).records
            .flatMap { $0.conversations.map { $0.value.replacingOccurrences(of: "<image>", with: "") } }
        var configuration = ModelPreset.tiny.configuration
        let tokenizer = try BPETrainer(vocabularySize: configuration.text.vocabularySize,
                                       specialTokens: ["<unk>", "<s>", "</s>", "<image>"]).train(on: corpus)
        configuration.text.vocabularySize = tokenizer.vocabularySize
        configuration.imageTokenIndex = tokenizer.imageTokenID ?? 3
        configuration.text.bosTokenID = tokenizer.beginningOfSequenceID ?? 1
        configuration.text.eosTokenID = tokenizer.endOfSequenceID ?? 2
        let model = LlavaModel(configuration: configuration)
        model.initializeWeights(seed: 1)
        try model.save(to: directory)
        try tokenizer.write(to: directory.appendingPathComponent("tokenizer.json"))
        return model
    }

    /// Round 0's global adapter for the fixture's plan, encoded as the aggregator publishes it.
    func initialGlobalAdapter() throws -> DeltaContainer.Encoded {
        let model = try LlavaModel.load(from: baseDirectory)
        let tensors = try model.initialGlobalAdapter(plan: plan)
        return try DeltaContainer(header: .init(round: 0, site: nil, baseDigest: baseDigest, sampleCount: 0, encoding: .fp32),
                                  tensors: tensors).encoded()
    }

    /// A round status for the fixture's base and plan.
    func status(round: Int, state: RoundStatus.State, globalAdapterDigest: SHA256.Digest, plan: TrainingPlan? = nil) -> RoundStatus {
        RoundStatus(id: round, state: state, baseDigest: baseDigest, globalAdapterDigest: globalAdapterDigest,
                    plan: plan ?? self.plan, deadline: Date(timeIntervalSinceNow: 600))
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)  // best effort: a leftover temp dir is harmless
    }
}
