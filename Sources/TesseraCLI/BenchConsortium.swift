import AggregatorCore
import Foundation
import Logging
import Model
import PlanBinding
import Transport

/// The in-process federation the aggregator benchmarks run: a consortium in `work`, a base model
/// of `preset` with random weights (only its shapes matter), every site enrolled, the campaign
/// started and the HTTPS server listening on a loopback port. Cancel `server` when done.
struct BenchConsortium {
    let consortium: DemoConsortium
    let aggregator: Aggregator
    let port: Int
    let server: Task<Void, Error>
    let logger: Logger

    static func start(in work: URL, sites: [String], campaign: String, preset: ModelPreset, label: String) async throws -> BenchConsortium {
        let consortium = try DemoConsortium.create(in: work, sites: sites, campaign: campaign)
        let base = work.appendingPathComponent("base")
        let model = LlavaModel(configuration: preset.configuration)
        model.initializeWeights(seed: 1)
        try model.save(to: base)
        try Data("{}".utf8).write(to: base.appendingPathComponent("tokenizer.json"))  // hashed by the aggregator, never parsed
        let logger = { var logger = Logger(label: label); logger.logLevel = .critical; return logger }()
        let aggregator = try Aggregator(configuration: try AggregatorConfiguration(contentsOf: consortium.aggregatorConfiguration), logger: logger)
        for site in sites { try aggregator.enrol(certificateFile: consortium.siteCertificate(site)) }
        try aggregator.startCampaign(baseDirectory: base, definition: try CampaignDefinition(contentsOf: consortium.campaignFile))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        // The stream ends when the server does, so a server that fails before it listens ends the wait.
        let server = Task {
            defer { continuation.finish() }
            try await AggregatorServer(aggregator: aggregator, logger: logger).run(handlesSignals: false) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            server.cancel()
            throw DemoFailure("the aggregator did not start")
        }
        return BenchConsortium(consortium: consortium, aggregator: aggregator, port: port, server: server, logger: logger)
    }

    /// A client with `site`'s certificate, one attempt per request.
    func client(_ site: String) throws -> CurlClient {
        try CurlClient(configuration: CurlClientConfiguration(
            baseURL: "https://127.0.0.1:\(port)", certificateFile: consortium.siteCertificate(site),
            privateKeyFile: consortium.siteDirectory(site).appendingPathComponent("site-key.pem"), trustAnchorFile: consortium.caFile,
            noProxy: "*", retry: RetryPolicy(maximumAttempts: 1)), logger: logger)
    }
}
