import Federation
import Foundation
import GRDB
import Ledger
import Protocols
import Security

extension Aggregator {
    /// What one step of the round driver did.
    public enum Progress: Equatable, Sendable {
        case idle
        case published(round: Int, digest: SHA256.Digest)
        case failed(round: Int, reason: String)
    }

    /// Moves the current round on if it is due: collection closes when every eligible site has
    /// an accepted update, or at the deadline (or on `rounds close`) — then the round aggregates
    /// with at least `quorum` updates and fails otherwise. A round left `aggregating` by a killed
    /// process is aggregated again (deterministically, from the stored updates). Publishing or
    /// failing opens the campaign's next round, or finishes the campaign.
    /// - Throws: storage, database and aggregation errors (the round stays as it was).
    @discardableResult
    public func advance() throws -> Progress {
        try advancing.withLock { try advanceUnlocked() }
    }

    private func advanceUnlocked() throws -> Progress {
        guard let round = try currentRound() else { return .idle }
        switch round.state {
        case .published, .failed:
            return .idle
        case .aggregating:
            return try aggregate(round)
        case .open, .collecting:
            // Decided in one write transaction: an upload committing meanwhile is either counted
            // here or finds the round closed and is refused, never receipted into a failed round.
            enum Decision { case wait, aggregate, failed(String) }
            let decision = try database.write { db -> Decision in
                guard let current = try RoundRecord.fetchOne(db, key: round.id), current.state.acceptsUpdates else { return .wait }
                let updates = try UpdateRecord.counting(round: current.id).fetchAll(db)
                let sites = Set(updates.map(\.site))
                let everyone = !current.eligibleSites.isEmpty && Set(current.eligibleSites).isSubset(of: sites)
                let due = current.closeRequested || clock() >= current.deadline
                if everyone || (due && updates.count >= current.quorum) {
                    var closing = current
                    closing.state = .aggregating
                    try closing.update(db)
                    return .aggregate
                }
                guard due else { return .wait }
                let reason = "\(updates.count) valid update\(updates.count == 1 ? "" : "s") by the deadline, quorum \(current.quorum)"
                try close(current, publishing: nil, failure: reason, updates: updates, in: db)
                return .failed(reason)
            }
            switch decision {
            case .wait:
                return .idle
            case .aggregate:
                return try aggregate(try self.round(round.id))
            case let .failed(reason):
                metrics.roundsFailed.increment()
                return .failed(round: round.id, reason: reason)
            }
        }
    }

    /// Merges a round's updates with the plan's strategy and publishes the result.
    func aggregate(_ round: RoundRecord) throws -> Progress {
        let started = DispatchTime.now().uptimeNanoseconds
        let campaign = try campaign(of: round)
        let plan = try campaign.decodedPlan()
        let baseDigest = try SHA256.Digest(hex: campaign.baseDigest)
        guard let globalText = round.globalDigest else { throw AggregatorError.noSuchRound(round.id) }
        let global = try globalAdapter(try SHA256.Digest(hex: globalText), plan: plan, baseDigest: baseDigest)
        let updates = try updates(round: round.id)
        guard updates.count >= max(1, round.quorum) else {
            return try fail(round, reason: "\(updates.count) valid updates, quorum \(round.quorum)", updates: updates)
        }
        let strategy = try plan.aggregationStrategy()
        let aggregation: Aggregation
        do {
            aggregation = try merge(updates, with: strategy, onto: global, plan: plan)
        } catch let error as AggregationError {
            // The stored updates determine the result, so trying again would fail again: the
            // round closes without a release and the campaign goes on from the same adapter.
            return try fail(round, reason: "aggregation failed: \(error)", updates: updates)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let total = updates.reduce(0) { $0 + $1.samples }
        // The container holds only what the updates determine, so aggregating again after a
        // crash gives the same bytes and digest; the ledger entry adds the time it took.
        let result = try DeltaContainer(
            header: .init(round: round.id, site: nil, baseDigest: baseDigest, sampleCount: total, encoding: .fp32,
                          metrics: aggregation.report.metrics),
            tensors: aggregation.adapter.tensors).encoded()
        var metrics = aggregation.report.metrics
        metrics["aggregation_seconds"] = seconds
        try blobs.write(result.bytes, as: result.digest)
        try finish(round, publishing: (result.digest, metrics), failure: nil, updates: updates)
        self.metrics.roundsPublished.increment()
        self.metrics.aggregationSeconds.record(seconds)
        logger.info("round published", metadata: [
            "round": "\(round.id)", "updates": "\(updates.count)", "strategy": "\(strategy.name)",
            "digest": "\(result.digest.hex)", "aggregation_seconds": "\(String(format: "%.3f", seconds))",
        ])
        return .published(round: round.id, digest: result.digest)
    }

    /// The strategy's merge of the stored updates: streaming (one stored container in memory at a
    /// time) when the strategy accumulates, else all decoded at once.
    private func merge(_ updates: [UpdateRecord], with strategy: any AggregationStrategy, onto global: Adapter,
                       plan: TrainingPlan) throws -> Aggregation {
        let limit = DeltaContainer.Expectation.maximumCanonicalBytes(for: plan.tensors.upload)
        if var average = try strategy.accumulator(onto: global) {
            var storage: [UInt8] = []
            for update in updates {
                let digest = try SHA256.Digest(hex: update.digest)
                let stored = try DeltaContainer.Stored.open(try blobs.read(digest), source: blobs.url(for: digest).path,
                                                            maximumDecompressedBytes: limit, tensors: plan.tensors.upload,
                                                            reusing: &storage)
                try average.add(stored)
                storage = (consume stored).storage
            }
            return try average.finished()
        }
        let siteUpdates = try updates.map { update in
            let digest = try SHA256.Digest(hex: update.digest)
            let decoded = try DeltaContainer.decode(try blobs.read(digest), source: blobs.url(for: digest).path,
                                                    expecting: .init(maximumDecompressedBytes: limit, digest: digest, tensors: plan.tensors.upload))
            return try SiteUpdate(decoded.container).completed(from: global)
        }
        return try strategy.aggregate(siteUpdates, onto: global)
    }

    /// Closes an aggregating round without a release (``finish(_:publishing:failure:updates:)``).
    private func fail(_ round: RoundRecord, reason: String, updates: [UpdateRecord]) throws -> Progress {
        try finish(round, publishing: nil, failure: reason, updates: updates)
        metrics.roundsFailed.increment()
        logger.error("round failed", metadata: ["round": "\(round.id)", "reason": "\(reason)"])
        return .failed(round: round.id, reason: reason)
    }

    /// Closes a round as published (with its result) or failed, with its ledger entries, and opens
    /// the campaign's next round or finishes the campaign, in one transaction.
    private func finish(_ round: RoundRecord, publishing result: (digest: SHA256.Digest, metrics: [String: Double])?, failure: String?,
                        updates: [UpdateRecord]) throws {
        try database.write { db in try close(round, publishing: result, failure: failure, updates: updates, in: db) }
    }

    /// ``finish(_:publishing:failure:updates:)`` inside the caller's transaction.
    private func close(_ round: RoundRecord, publishing result: (digest: SHA256.Digest, metrics: [String: Double])?, failure: String?,
                       updates: [UpdateRecord], in db: Database) throws {
        // The round must still be as the caller read it: another process on the same state (which
        // `serve`'s lock prevents) or a retried step must not publish it twice.
        let stored = try RoundRecord.fetchOne(db, key: round.id)
        guard let stored, stored.state == round.state else {
            throw AggregatorError.roundNotOpen(round: round.id, state: stored?.state.rawValue ?? "missing")
        }
        var closed = round
        closed.closedAt = clock()
        guard var campaign = try CampaignRecord.fetchOne(db, key: round.campaign) else { throw AggregatorError.noCampaign }
        let plan = try campaign.decodedPlan()
        let next: SHA256.Digest
        if let result {
            closed.state = .published
            closed.resultDigest = result.digest.hex
            let total = Double(updates.reduce(0) { $0 + $1.samples })
            let contributors = try updates.map { update in
                LedgerEvent.Contributor(site: update.site, digest: try SHA256.Digest(hex: update.digest), samples: update.samples,
                                        weight: total > 0 ? Double(update.samples) / total : 0)
            }
            _ = try ledger.append(.roundAggregated(round: round.id, strategy: plan.round.strategy.rawValue, contributors: contributors,
                                                   resultDigest: result.digest, metrics: result.metrics), in: db)
            _ = try ledger.append(.modelPublished(round: round.id, digest: result.digest), in: db)
            next = result.digest
        } else {
            closed.state = .failed
            closed.failure = failure
            _ = try ledger.append(.roundFailed(round: round.id, reason: failure ?? "failed", validUpdates: updates.count,
                                               quorum: round.quorum), in: db)
            next = try SHA256.Digest(hex: round.globalDigest ?? "")
        }
        try closed.update(db)
        if round.id - campaign.initialRound < campaign.rounds {
            _ = try openRound(in: db, id: round.id + 1, campaign: campaign, plan: plan, global: next)
        } else {
            campaign.finishedAt = clock()
            try campaign.update(db)
            logger.info("campaign finished", metadata: ["campaign": "\(campaign.name)", "last_round": "\(round.id)"])
        }
    }
}
