import AggregatorCore
import Foundation
import Logging
import Model
import PlanBinding
import Protocols
import Security
import Synchronization
import Transport

/// A consortium in a temporary directory: a CA, the server and ledger credentials, site
/// bundles, a tiny base model and an ``Aggregator`` over a fresh state directory; `serve`
/// runs the real HTTPS server on a free loopback port.
package final class AggregatorHarness: @unchecked Sendable {
    package let directory: URL
    package let authority: CertificateAuthority
    package let configuration: AggregatorConfiguration
    /// The configuration's TOML text (paths relative to ``directory``; `port = 0`).
    package let configurationTOML: String
    package let aggregator: Aggregator
    package let baseDirectory: URL
    package let model: LlavaModel
    package var port = 0
    private var server: Task<Void, Error>?
    private let clock = TestClock()

    package static let logger: Logger = {
        var logger = Logger(label: "tessera.aggregator.test")
        logger.logLevel = .critical
        return logger
    }()

    /// - Parameter sites: site ids to issue bundles for (enrol them with ``enrol(_:)``).
    package init(sites: [String] = ["site-a", "site-b", "site-c"], maximumPollSeconds: Int = 5, maximumConcurrentUploads: Int = 32,
         fileSystem: BlobStore.FileSystem = .system) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-aggregator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        authority = try CertificateAuthority.initialise(directory: directory.appendingPathComponent("ca"), commonName: "Test Consortium CA")
        let pki = directory.appendingPathComponent("pki")
        try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true)
        try authority.writeLoopbackAggregatorCredentials(to: pki)
        for site in sites {
            try authority.issueSiteCertificate(siteID: site)
                .write(certificateTo: pki.appendingPathComponent("\(site).pem"), privateKeyTo: pki.appendingPathComponent("\(site)-key.pem"))
        }
        configurationTOML = AggregatorConfiguration.template
            .replacingOccurrences(of: "port = 8443", with: "port = 0")
            .replacingOccurrences(of: "host = \"0.0.0.0\"", with: "host = \"127.0.0.1\"")
            .replacingOccurrences(of: "maximum_poll_seconds = 60", with: "maximum_poll_seconds = \(maximumPollSeconds)")
            .replacingOccurrences(of: "maximum_concurrent_uploads = 32", with: "maximum_concurrent_uploads = \(maximumConcurrentUploads)")
            .replacingOccurrences(of: "pki/ca/ca.pem", with: "ca/ca.pem")
        configuration = try AggregatorConfiguration(toml: configurationTOML, source: "test", directory: directory)
        aggregator = try Aggregator(configuration: configuration, logger: Self.logger, clock: { [clock] in clock.now }, fileSystem: fileSystem)

        model = LlavaModel(configuration: ModelPreset.tiny.configuration)
        model.initializeWeights(seed: 3)
        baseDirectory = directory.appendingPathComponent("base")
        try model.save(to: baseDirectory)
        try Data("{}".utf8).write(to: baseDirectory.appendingPathComponent("tokenizer.json"))  // hashed, never parsed here
    }

    deinit {
        server?.cancel()
        try? FileManager.default.removeItem(at: directory)  // best effort: a temporary directory
    }

    /// Moves the aggregator's clock `seconds` ahead, so a deadline passes when the test says
    /// rather than when a loaded machine gets there.
    package func passTime(_ seconds: TimeInterval) {
        clock.offset.withLock { $0 += seconds }
    }

    package func certificateFile(_ site: String) -> URL { directory.appendingPathComponent("pki/\(site).pem") }

    package func enrol(_ sites: String...) throws {
        for site in sites { try aggregator.enrol(certificateFile: certificateFile(site)) }
    }

    /// The example campaign of `settings` with `edits` applied to its TOML text.
    package func campaign(_ edits: [(String, String)] = [], settings: CampaignDefinition.ExampleSettings = .init()) throws -> CampaignDefinition {
        var toml = CampaignDefinition.exampleTOML(settings)
        for (old, new) in edits {
            precondition(toml.contains(old), "the example campaign has no \(old)")
            toml = toml.replacingOccurrences(of: old, with: new)
        }
        return try CampaignDefinition(toml: toml, source: "test campaign")
    }

    /// Starts the HTTPS server and waits for its port.
    package func serve() async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = AggregatorServer(aggregator: aggregator, logger: Self.logger, tick: .milliseconds(50))
        self.server = Task { try await server.run(handlesSignals: false) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        port = await iterator.next() ?? 0
    }

    /// - Parameter connectTimeout: seconds for the TCP and TLS handshake (raised by the load test).
    package func client(_ site: String, connectTimeout: Double? = nil, retry: RetryPolicy = RetryPolicy(maximumAttempts: 1)) throws -> CurlClient {
        var configuration = CurlClientConfiguration(
            baseURL: "https://127.0.0.1:\(port)", certificateFile: certificateFile(site),
            privateKeyFile: directory.appendingPathComponent("pki/\(site)-key.pem"),
            trustAnchorFile: authority.directory.appendingPathComponent("ca.pem"), noProxy: "*",
            retry: retry)
        if let connectTimeout { configuration.connectTimeout = connectTimeout }
        return try CurlClient(configuration: configuration, logger: Self.logger)
    }

    /// The global adapter of the current round, decoded.
    package func currentGlobal() throws -> (status: RoundStatus, tensors: [NamedTensor]) {
        let status = try aggregator.status(of: try aggregator.currentRound()!)
        let decoded = try DeltaContainer.decode(try aggregator.blobs.read(status.globalAdapterDigest), source: "global",
                                                expecting: .init(maximumDecompressedBytes: 1 << 30, digest: status.globalAdapterDigest))
        return (status, decoded.container.tensors)
    }

    /// An update of `site` for the current round: the global adapter's upload tensors plus `shift`
    /// added to every value, encoded as the plan says, written to a file.
    package func update(site: String, samples: Int, shift: Float, round: Int? = nil, baseDigest: SHA256.Digest? = nil,
                edit: (inout [NamedTensor]) -> Void = { _ in }) throws -> (file: URL, metadata: UploadMetadata, digest: SHA256.Digest) {
        let (status, global) = try currentGlobal()
        let uploadNames = Set(status.plan.tensors.upload.map(\.name))
        var tensors = global.filter { uploadNames.contains($0.name) }.map { tensor in
            NamedTensor(name: tensor.name, shape: tensor.shape, values: tensor.values.map { $0 + shift })
        }
        edit(&tensors)
        let base = baseDigest ?? status.baseDigest
        let encoded = try DeltaContainer(header: .init(round: round ?? status.id, site: site, baseDigest: base, sampleCount: samples,
                                                       encoding: status.plan.wire.encoding), tensors: tensors).encoded()
        let file = directory.appendingPathComponent("update-\(site)-\(UUID().uuidString).tcz")
        try Data(encoded.bytes).write(to: file)
        return (file, UploadMetadata(digest: encoded.digest, baseDigest: base, sampleCount: samples, encoding: status.plan.wire.encoding),
                encoded.digest)
    }

    /// Uploads and decodes the receipt. (Async: libcurl runs on a thread of its own, never on the
    /// cooperative pool the server's handlers need.)
    package func upload(_ site: String, _ update: (file: URL, metadata: UploadMetadata, digest: SHA256.Digest), round: Int? = nil,
                connectTimeout: Double? = nil, retry: RetryPolicy = RetryPolicy(maximumAttempts: 1)) async throws -> Receipt {
        let id = try round ?? aggregator.currentRound()!.id
        let response = try await client(site, connectTimeout: connectTimeout, retry: retry).upload(file: update.file, to: "/v1/rounds/\(id)/updates", headers: update.metadata.httpHeaderFields)
        return try WireJSON.decode(Receipt.self, from: Data(response.body))
    }
}

/// The wall clock plus an offset a test moves forward.
private final class TestClock: Sendable {
    let offset = Mutex<TimeInterval>(0)
    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
}
