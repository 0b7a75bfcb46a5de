import Foundation
import GRDB
import Ledger
import Model
import PlanBinding
import Protocols
import Security

extension Aggregator {
    /// Starts a campaign: stores the base model under its digest, derives the plan's tensors from
    /// it, publishes the initial global adapter (PEFT's initialisation from the plan's seed, so
    /// every site starts from the same factors) as the campaign's initial round, and opens the
    /// first training round. The server runs the rest unattended.
    /// - Returns: the campaign and its first training round.
    /// - Throws: ``AggregatorError/campaignRunning(name:round:)`` while another campaign runs,
    ///   ``AggregatorError/baseModelInvalid(directory:reason:)``, `PlanBindingError` for the
    ///   campaign file, ``AggregatorError/storageFailed(path:reason:)``.
    @discardableResult
    public func startCampaign(baseDirectory: URL, definition: CampaignDefinition, source: String = "campaign") throws -> (CampaignRecord, RoundRecord) {
        if let running = try database.read({ db in try CampaignRecord.filter(Column("finished_at") == nil).fetchOne(db) }) {
            let round = try currentRound()?.id ?? running.initialRound
            throw AggregatorError.campaignRunning(name: running.name, round: round)
        }
        let base = try BaseModelDirectory(baseDirectory)
        let baseDigest = try base.digest()
        // The weights are never loaded here: the configuration describes the model, every tensor
        // header is checked against it, and only the modules_to_save values are read.
        let description: BaseModelDescription
        do {
            description = try BaseModelDescription(modelDirectory: baseDirectory)
            _ = try LlavaModel.readParameters([], from: baseDirectory)
        } catch {
            throw AggregatorError.baseModelInvalid(directory: baseDirectory.path, reason: "\(error)")
        }
        let plan = try definition.plan(for: description, source: source)
        let stored = storedBaseDirectory(for: baseDigest)
        try FileManager.default.createDirectory(at: stored, withIntermediateDirectories: true)
        for file in base.files where !FileManager.default.fileExists(atPath: stored.appendingPathComponent(file).path) {
            try blobs.writeDurably(try Data(contentsOf: baseDirectory.appendingPathComponent(file)), to: stored.appendingPathComponent(file))
        }

        let initialRound = try database.read { db in try Int.fetchOne(db, sql: "SELECT MAX(id) FROM round") }.map { $0 + 1 } ?? 0
        let initial = try DeltaContainer(
            header: .init(round: initialRound, site: nil, baseDigest: baseDigest, sampleCount: 0, encoding: .fp32),
            tensors: try plan.initialGlobalAdapter(baseDirectory: baseDirectory)).encoded()
        try blobs.write(initial.bytes, as: initial.digest)
        let planJSON = try WireJSON.encode(plan)

        return try database.write { db in
            let now = clock()
            var campaign = CampaignRecord(id: nil, name: definition.name, baseDigest: baseDigest.hex, plan: planJSON,
                                          rounds: definition.rounds, initialRound: initialRound, startedAt: now, finishedAt: nil)
            try campaign.insert(db)
            _ = try ledger.append(.campaignStarted(campaign: definition.name, baseDigest: baseDigest,
                                                   planDigest: try SHA256.hash(planJSON), rounds: definition.rounds), in: db)
            try RoundRecord(id: initialRound, campaign: try campaign.rowID, state: .published, globalDigest: nil,
                            resultDigest: initial.digest.hex, quorum: 0, eligibleSites: [], openedAt: now, deadline: now,
                            closeRequested: false, closedAt: now, failure: nil).insert(db)
            _ = try ledger.append(.modelPublished(round: initialRound, digest: initial.digest), in: db)
            let first = try openRound(in: db, id: initialRound + 1, campaign: campaign, plan: plan, global: initial.digest)
            return (campaign, first)
        }
    }

    /// Opens round `id` from `global`: eligible sites are those enrolled and not revoked now.
    func openRound(in db: Database, id: Int, campaign: CampaignRecord, plan: TrainingPlan, global: SHA256.Digest) throws -> RoundRecord {
        let now = clock()
        let eligible = try String.fetchAll(db, sql: "SELECT id FROM site WHERE revoked_at IS NULL ORDER BY id")
        let deadline = now.addingTimeInterval(TimeInterval(plan.round.deadlineSeconds))
        let round = RoundRecord(id: id, campaign: try campaign.rowID, state: .open, globalDigest: global.hex, resultDigest: nil,
                                quorum: plan.round.quorum, eligibleSites: eligible, openedAt: now, deadline: deadline,
                                closeRequested: false, closedAt: nil, failure: nil)
        try round.insert(db)
        _ = try ledger.append(.roundOpened(round: id, globalDigest: global, strategy: plan.round.strategy.rawValue,
                                           quorum: plan.round.quorum, deadline: deadline, eligibleSites: eligible), in: db)
        logger.info("round opened", metadata: ["round": "\(id)", "eligible_sites": "\(eligible.count)", "quorum": "\(plan.round.quorum)"])
        return round
    }

    /// The latest round, or nil before the first campaign.
    public func currentRound() throws -> RoundRecord? {
        try database.read { db in try RoundRecord.order(Column("id").desc).fetchOne(db) }
    }

    /// Every round, newest first, with at most `limit` rows.
    public func rounds(limit: Int = 1000) throws -> [RoundRecord] {
        try database.read { db in try RoundRecord.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    /// Round `id`.
    /// - Throws: ``AggregatorError/noSuchRound(_:)``.
    public func round(_ id: Int) throws -> RoundRecord {
        guard let round = try database.read({ db in try RoundRecord.fetchOne(db, key: id) }) else { throw AggregatorError.noSuchRound(id) }
        return round
    }

    /// The campaign a round belongs to.
    public func campaign(of round: RoundRecord) throws -> CampaignRecord {
        guard let campaign = try database.read({ db in try CampaignRecord.fetchOne(db, key: round.campaign) }) else {
            throw AggregatorError.noCampaign
        }
        return campaign
    }

    /// The accepted updates of a round that count (not replaced), by site.
    public func updates(round: Int) throws -> [UpdateRecord] {
        try database.read { db in try UpdateRecord.counting(round: round).fetchAll(db) }
    }

    /// What `GET /v1/rounds/current` answers.
    public func status(of round: RoundRecord) throws -> RoundStatus {
        let campaign = try campaign(of: round)
        guard let digestText = round.globalDigest ?? round.resultDigest else { throw AggregatorError.noSuchRound(round.id) }
        return RoundStatus(id: round.id, state: round.state, baseDigest: try SHA256.Digest(hex: campaign.baseDigest),
                           globalAdapterDigest: try SHA256.Digest(hex: digestText), plan: try campaign.decodedPlan(),
                           deadline: round.deadline)
    }

    /// `rounds close`: asks the server to close collection of round `id` now (it aggregates if the
    /// quorum is met, otherwise the round fails).
    /// - Throws: ``AggregatorError/noSuchRound(_:)``, ``AggregatorError/roundNotOpen(round:state:)``.
    public func requestClose(round id: Int) throws {
        try database.write { db in
            guard var round = try RoundRecord.fetchOne(db, key: id) else { throw AggregatorError.noSuchRound(id) }
            guard round.state.acceptsUpdates else { throw AggregatorError.roundNotOpen(round: id, state: round.state.rawValue) }
            round.closeRequested = true
            try round.update(db)
        }
    }

    /// `rounds open`: after a campaign has finished, opens one more round of it from its last
    /// published adapter, with the same plan.
    /// - Throws: ``AggregatorError/noCampaign``, ``AggregatorError/campaignRunning(name:round:)``.
    @discardableResult
    public func openExtraRound() throws -> RoundRecord {
        try database.write { db in
            guard let last = try RoundRecord.order(Column("id").desc).fetchOne(db),
                  var campaign = try CampaignRecord.fetchOne(db, key: last.campaign) else { throw AggregatorError.noCampaign }
            guard campaign.finishedAt != nil, !last.state.acceptsUpdates, last.state != .aggregating else {
                throw AggregatorError.campaignRunning(name: campaign.name, round: last.id)
            }
            guard let global = try String.fetchOne(db, sql: "SELECT result_digest FROM round WHERE campaign = ? AND state = 'published' ORDER BY id DESC LIMIT 1",
                                                   arguments: [campaign.id]) else { throw AggregatorError.noCampaign }
            campaign.rounds += 1
            campaign.finishedAt = nil
            try campaign.update(db)
            return try openRound(in: db, id: last.id + 1, campaign: campaign, plan: try campaign.decodedPlan(), global: try SHA256.Digest(hex: global))
        }
    }
}
