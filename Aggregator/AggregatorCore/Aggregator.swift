import Federation
import Foundation
import GRDB
import Ledger
import Logging
import NIOConcurrencyHelpers
import Protocols
import Security

/// The aggregator's state directory and everything done to it: sites, campaigns, rounds,
/// update intake and aggregation. The server (``AggregatorServer``) and the operator's commands
/// both work through it; every change commits in one SQLite transaction with its ledger entry.
///
/// Layout of the state directory:
/// | path | holds |
/// | --- | --- |
/// | `ledger.sqlite` | the ledger (`ledger_entry`) and the aggregator's tables (WAL, synchronous=FULL) |
/// | `blobs/<digest>` | containers: global adapters and accepted updates, by the digest that names them |
/// | `base/<digest>/<file>` | the base models of campaigns, served to sites |
public final class Aggregator: Sendable {
    public let configuration: AggregatorConfiguration
    public let database: DatabasePool
    public let ledger: LedgerStore
    public let blobs: BlobStore
    /// The consortium CA.
    public let authority: X509Certificate
    public let metrics = AggregatorMetrics()
    let logger: Logger
    let clock: @Sendable () -> Date
    /// Decoded global adapters by digest (the origin of step norms and aggregation).
    let globalAdapters = NIOLockedValueBox<[SHA256.Digest: Adapter]>([:])
    /// Serialises ``advance()`` between the round driver and the upload that completes a round.
    let advancing = NIOLock()

    /// The database file inside a state directory.
    public static func databaseURL(in stateDirectory: URL) -> URL { stateDirectory.appendingPathComponent("ledger.sqlite") }

    /// Opens (creating if needed) the state directory the configuration names.
    /// - Throws: ``AggregatorError`` for unreadable keys or certificates, `LedgerError` when the
    ///   ledger key does not match its certificate or the ledger was started with another one.
    /// - Parameter fileSystem: the calls durable blob writes make (tests inject failing ones).
    public init(configuration: AggregatorConfiguration, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
                fileSystem: BlobStore.FileSystem = .system) throws {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        func load<Value>(_ what: String, _ url: URL, _ read: (URL) throws -> Value) throws -> Value {
            do {
                return try read(url)
            } catch {
                throw AggregatorError.configurationInvalid(file: url.path, reason: "cannot load the \(what): \(error)")
            }
        }
        authority = try load("CA certificate", configuration.caFile, X509Certificate.init(contentsOf:))
        let ledgerKey = try load("ledger key", configuration.ledgerKeyFile, Ed25519Key.init(contentsOf:))
        let ledgerCertificate = try load("ledger certificate", configuration.ledgerCertificateFile, X509Certificate.init(contentsOf:))
        do {
            try ledgerCertificate.verify(trustAnchor: authority, requiredUsage: .ledgerSigning)
        } catch {
            throw AggregatorError.certificateRefused(file: configuration.ledgerCertificateFile.path, reason: "\(error)")
        }
        let state = configuration.stateDirectory
        do {
            try FileManager.default.createDirectory(at: state.appendingPathComponent("base"), withIntermediateDirectories: true)
        } catch {
            throw AggregatorError.storageFailed(path: state.path, reason: error.localizedDescription)
        }
        blobs = try BlobStore(directory: state.appendingPathComponent("blobs"), fileSystem: fileSystem)
        let stored = (try? FileManager.default.contentsOfDirectory(at: state.appendingPathComponent("base"), includingPropertiesForKeys: nil)) ?? []  // try?: nothing stored yet
        for directory in stored { BlobStore.removeAbandonedTemporaryFiles(in: directory) }
        database = try DatabasePool(path: Self.databaseURL(in: state).path, configuration: LedgerStore.configuration())
        try StateSchema.migrator().migrate(database)
        ledger = try LedgerStore(database: database, key: ledgerKey, certificate: ledgerCertificate, clock: clock)
    }

    /// Where a campaign's base model files are kept.
    public func storedBaseDirectory(for digest: SHA256.Digest) -> URL {
        configuration.stateDirectory.appendingPathComponent("base").appendingPathComponent(digest.hex)
    }

    /// The global adapter stored under `digest`, decoded and checked against the plan (cached).
    /// - Throws: ``AggregatorError/storageFailed(path:reason:)``, `DeltaContainerError`, `AggregationError`.
    func globalAdapter(_ digest: SHA256.Digest, plan: TrainingPlan, baseDigest: SHA256.Digest) throws -> Adapter {
        if let cached = globalAdapters.withLockedValue({ $0[digest] }) { return cached }
        let decoded = try DeltaContainer.decode(
            try blobs.read(digest), source: blobs.url(for: digest).path,
            expecting: .globalAdapter(plan: plan, baseDigest: baseDigest, digest: digest))
        let adapter = try Adapter(decoded.container.tensors, owner: "global adapter \(digest.hex.prefix(12))")
        globalAdapters.withLockedValue { cache in
            if cache.count > 4 { cache.removeAll() }  // a round needs one; keep memory bounded
            cache[digest] = adapter
        }
        return adapter
    }
}
