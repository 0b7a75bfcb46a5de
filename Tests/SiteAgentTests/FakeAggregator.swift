import Foundation
import Ledger
import Protocols
import Security
@testable import SiteAgent
import Transport

/// Scripted aggregator answers for the agent's loop tests: a sequence of round answers (404 before a
/// campaign, round 0, a round it lists but cannot serve) and upload refusals the real aggregator
/// cannot be made to give on cue; uploads are recorded and answered with real signed receipts from
/// a ledger, but not checked. What the real aggregator checks and answers is tested against it
/// (`SiteAgentAggregatorTests`, and the federation end-to-end tests).
/// `@unchecked Sendable`: every mutable field is touched only under `lock`.
final class FakeAggregator: AggregatorConnection, @unchecked Sendable {
    /// An upload as the aggregator received it.
    struct Upload: Equatable {
        var round: Int
        var metadata: UploadMetadata
        var bytes: [UInt8]
    }

    private let lock = NSLock()
    private let ledger: LedgerStore
    private let site: String
    private var rounds: [Result<RoundStatus, TransportError>]
    private var models: [SHA256.Digest: [UInt8]]
    private var uploadFailures: [TransportError]
    private var receipts: [String: Receipt] = [:]
    private(set) var polls: [(after: Int?, wait: Int?)] = []
    private(set) var uploads: [Upload] = []
    private(set) var downloads: [String] = []

    /// - Parameters:
    ///   - rounds: the answers to successive polls; when they run out, polling throws `CancellationError`.
    ///   - uploadFailures: errors thrown by the first uploads, in order, before they succeed.
    init(ledger: LedgerStore, site: String, rounds: [Result<RoundStatus, TransportError>], models: [SHA256.Digest: [UInt8]],
         uploadFailures: [TransportError] = []) {
        self.ledger = ledger
        self.site = site
        self.rounds = rounds
        self.models = models
        self.uploadFailures = uploadFailures
    }

    var recordedUploads: [Upload] { lock.withLock { uploads } }
    var recordedPolls: [(after: Int?, wait: Int?)] { lock.withLock { polls } }
    var recordedDownloads: [String] { lock.withLock { downloads } }

    func currentRound(after: Int?, wait: Int?) async throws -> RoundStatus {
        let next: Result<RoundStatus, TransportError>? = lock.withLock {
            polls.append((after, wait))
            return rounds.isEmpty ? nil : rounds.removeFirst()
        }
        guard let next else { throw CancellationError() }
        return try next.get()
    }

    func downloadGlobalAdapter(digest: SHA256.Digest, to file: URL) async throws {
        let bytes: [UInt8]? = lock.withLock {
            downloads.append("models/\(digest.hex)")
            return models[digest]
        }
        guard let bytes else { throw TransportError.httpStatus(url: "models/\(digest.hex)", status: 404, code: "not-found", message: nil) }
        try Data(bytes).write(to: file, options: .atomic)  // as CurlClient: nothing at `file` unless all of it landed
    }

    func downloadBaseFile(digest: SHA256.Digest, name: String, to file: URL) async throws -> Bool {
        lock.withLock { downloads.append("base/\(digest.hex)/\(name)") }
        return false
    }

    func upload(file: URL, round: Int, metadata: UploadMetadata) async throws -> Receipt {
        let bytes = Array(try Data(contentsOf: file))
        return try lock.withLock {
            uploads.append(Upload(round: round, metadata: metadata, bytes: bytes))
            if !uploadFailures.isEmpty { throw uploadFailures.removeFirst() }
            let key = "\(round)/\(site)/\(metadata.digest.hex)"
            if let receipt = receipts[key] { return receipt }
            let entry = try ledger.append(.updateAccepted(round: round, site: site, digest: metadata.digest,
                                                          samples: metadata.sampleCount, stepNorm: nil))
            let receipt = try ledger.receipt(for: entry)
            receipts[key] = receipt
            return receipt
        }
    }

    func ledgerCertificate() async throws -> X509Certificate {
        ledger.certificate
    }
}
