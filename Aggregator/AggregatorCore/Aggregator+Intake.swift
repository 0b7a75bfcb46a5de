import Federation
import Foundation
import GRDB
import Ledger
import Protocols
import Security

extension Aggregator {
    /// An upload whose headers passed: what the body is checked against.
    public struct Admission: Sendable {
        public let round: RoundRecord
        public let site: String
        public let metadata: UploadMetadata
        public let plan: TrainingPlan
        public let baseDigest: SHA256.Digest
        /// The receipt of the same (round, site, digest) accepted before: answer it again.
        public let earlierReceipt: Receipt?
        /// The largest body taken, from the plan.
        public var maximumBodyBytes: Int { plan.wire.maximumUploadBytes }
    }

    /// Checks an upload's headers before its body is read, in this order: the site is enrolled
    /// with this certificate and not revoked; the metadata headers are readable and of this
    /// protocol version; the same (round, site, digest) was accepted before (then its receipt is
    /// answered again, whatever the round's state); the round is the current one and takes updates;
    /// the base digest is the campaign's; the site has no other accepted update unless the plan
    /// allows replacement; a declared Content-Length fits the plan's limit.
    /// - Throws: ``UploadRejection`` (already in the ledger).
    public func admitUpload(round id: Int, site: String, serial: String, headers: [String: String], contentLength: Int?) throws -> Admission {
        let declared = try? SHA256.Digest(hex: headers.first { $0.key.lowercased() == UploadMetadata.Header.digest.lowercased() }?.value ?? "")
        func reject(_ code: ErrorCode, _ message: String) -> UploadRejection {
            rejection(round: id, site: site, digest: declared, code, message)
        }
        guard let record = try self.site(site),
              record.revokedAt == nil, record.serial == serial else {
            throw reject(.notEnrolled, "site \(site) (certificate serial \(serial)) is not enrolled in this consortium's aggregator")
        }
        let metadata: UploadMetadata
        do {
            metadata = try UploadMetadata(httpHeaderFields: headers)
        } catch let error as UploadMetadataError {
            throw reject(error.code, error.description)
        }
        if let earlier = try database.read({ db in
            try UpdateRecord.filter(Column("round") == id && Column("site") == site && Column("digest") == metadata.digest.hex).fetchOne(db)
        }) {
            return Admission(round: try round(id), site: site, metadata: metadata, plan: try campaign(of: try round(id)).decodedPlan(),
                             baseDigest: metadata.baseDigest, earlierReceipt: try ledger.receipt(for: try ledger.entry(sequence: earlier.ledgerSequence)))
        }
        guard let current = try currentRound(), current.id == id, current.state.acceptsUpdates else {
            let now = try currentRound().map { "round \($0.id) is \($0.state.rawValue)" } ?? "no round is open"
            throw reject(.wrongRound, "round \(id) does not take updates (\(now))")
        }
        let campaign = try campaign(of: current)
        let plan = try campaign.decodedPlan()
        let baseDigest = try SHA256.Digest(hex: campaign.baseDigest)
        guard metadata.baseDigest == baseDigest else {
            throw reject(.staleBase, "the update was trained from base model \(metadata.baseDigest.hex), the round uses \(baseDigest.hex)")
        }
        guard metadata.encoding == plan.wire.encoding else {
            throw reject(.badRequest, "\(UploadMetadata.Header.encoding) is \(metadata.encoding.rawValue); the plan's wire.encoding is \(plan.wire.encoding.rawValue)")
        }
        if !plan.round.allowReplacement, try !updates(round: id).filter({ $0.site == site }).isEmpty {
            throw reject(.replacementNotAllowed, "site \(site) already has an accepted update in round \(id) and the plan does not allow replacing it")
        }
        // A site's weight is the distinct examples it read, at most one per example drawn.
        let drawn = plan.schedule.steps.multipliedReportingOverflow(by: plan.schedule.batchSize)
        if !drawn.overflow, metadata.sampleCount > drawn.partialValue {
            throw reject(.badRequest, "\(UploadMetadata.Header.sampleCount) is \(metadata.sampleCount), more examples than a round of this plan "
                         + "draws (\(plan.schedule.steps) steps × batch size \(plan.schedule.batchSize) = \(drawn.partialValue))")
        }
        if let contentLength, contentLength > plan.wire.maximumUploadBytes {
            throw reject(.tooLarge, "the body has \(contentLength) bytes; the plan allows \(plan.wire.maximumUploadBytes)")
        }
        return Admission(round: current, site: site, metadata: metadata, plan: plan, baseDigest: baseDigest, earlierReceipt: nil)
    }

    /// Validates an admitted upload's body and, if it passes, stores it durably and records it:
    /// `update-received`, then decoding (zstd, canonical safetensors, digest, header, the plan's
    /// tensor names, shapes and dtypes, finite values), the step norm against the plan's bound,
    /// the blob (fsync + rename), and the update row with its `update-accepted` entry in one
    /// transaction. Only then is the receipt made.
    /// - Throws: ``UploadRejection`` (in the ledger); ``AggregatorError/storageFailed(path:reason:)``
    ///   when the blob cannot be written (nothing is accepted; the site retries).
    public func accept(_ admission: Admission, body: [UInt8]) throws -> Receipt {
        if let receipt = admission.earlierReceipt { return receipt }
        let id = admission.round.id, site = admission.site, digest = admission.metadata.digest
        func reject(_ code: ErrorCode, _ message: String) -> UploadRejection {
            rejection(round: id, site: site, digest: digest, code, message)
        }
        guard body.count <= admission.maximumBodyBytes else {
            throw reject(.tooLarge, "the body has \(body.count) bytes; the plan allows \(admission.maximumBodyBytes)")
        }
        _ = try ledger.append(.updateReceived(round: id, site: site, digest: digest, bytes: body.count))
        let decoded: DeltaContainer.Decoded
        do {
            decoded = try DeltaContainer.decode(body, source: "upload from \(site) for round \(id)",
                                                expecting: .upload(plan: admission.plan, round: id, site: site,
                                                                   baseDigest: admission.baseDigest, metadata: admission.metadata))
        } catch let error as DeltaContainerError {
            throw reject(error.code, error.description)
        }
        let global = try globalAdapter(try SHA256.Digest(hex: admission.round.globalDigest ?? ""), plan: admission.plan,
                                       baseDigest: admission.baseDigest)
        let norm = try global.stepNorm(of: try SiteUpdate(decoded.container))
        if let bound = admission.plan.round.stepNorm, bound.onExceed == .reject, norm > bound.bound {
            throw reject(.normOutlier, "the step's norm ‖update − global‖ is \(norm), above the plan's bound \(bound.bound)")
        }
        try blobs.write(body, as: digest)
        enum Outcome { case accepted(LedgerEntry), duplicate(ledgerSequence: Int), refused }
        let outcome = try database.write { db -> Outcome in
            // The same bytes retried while this copy was being checked: one acceptance, one receipt.
            if let same = try UpdateRecord.filter(Column("round") == id && Column("site") == site && Column("digest") == digest.hex).fetchOne(db) {
                return .duplicate(ledgerSequence: same.ledgerSequence)
            }
            guard var round = try RoundRecord.fetchOne(db, key: id), round.state.acceptsUpdates else { return .refused }
            let others = try UpdateRecord.filter(Column("round") == id && Column("site") == site && Column("superseded") == false).fetchAll(db)
            if !others.isEmpty && !admission.plan.round.allowReplacement { return .refused }
            for var other in others {
                other.superseded = true
                try other.update(db)
            }
            let entry = try ledger.append(.updateAccepted(round: id, site: site, digest: digest, samples: admission.metadata.sampleCount,
                                                          stepNorm: norm), in: db)
            try UpdateRecord(round: id, site: site, digest: digest.hex, samples: admission.metadata.sampleCount, bytes: body.count,
                             stepNorm: norm, acceptedAt: clock(), ledgerSequence: entry.sequence, superseded: false).insert(db)
            if round.state == .open {
                round.state = .collecting
                try round.update(db)
            }
            return .accepted(entry)
        }
        let accepted: LedgerEntry
        switch outcome {
        case let .accepted(entry):
            accepted = entry
        case let .duplicate(sequence):
            return try ledger.receipt(for: try ledger.entry(sequence: sequence))
        case .refused:
            throw reject(.wrongRound, "round \(id) closed, or took another update from \(site), while this one was being checked")
        }
        metrics.updatesAccepted.increment()
        logger.info("update accepted", metadata: ["round": "\(id)", "site.id": "\(site)", "digest": "\(digest.hex)",
                                                  "bytes": "\(body.count)", "step_norm": "\(norm)"])
        return try ledger.receipt(for: accepted)
    }

    /// A rejection, recorded in the ledger (a failure to record is logged: the site still gets its answer).
    func rejection(round: Int, site: String, digest: SHA256.Digest?, _ code: ErrorCode, _ message: String) -> UploadRejection {
        do {
            _ = try ledger.append(.updateRejected(round: round, site: site, digest: digest, reason: code, detail: message))
        } catch {
            logger.error("could not record a rejection in the ledger", metadata: ["round": "\(round)", "site.id": "\(site)", "error": "\(error)"])
        }
        metrics.rejected(code.rawValue)
        logger.notice("update rejected", metadata: ["round": "\(round)", "site.id": "\(site)", "reason": "\(code)", "detail": "\(message)"])
        return UploadRejection(code, message)
    }
}
