import Protocols

/// Who contributed what, read from a ledger's entries: per site and per round. It reads the
/// entries as they are; run ``AuditVerifier`` first to know they are authentic.
public struct LedgerReport: Codable, Equatable, Sendable {
    /// One site's participation.
    public struct Site: Codable, Equatable, Sendable {
        public var site: String
        /// Whether the site was enrolled, and later revoked, in this ledger.
        public var enrolled: Bool
        public var revoked: Bool
        /// Rounds in which the site had an update accepted, ascending.
        public var roundsJoined: [Int]
        public var updatesAccepted: Int
        public var updatesRejected: Int
        /// Rejections by reason (the API's error code), e.g. `non-finite: 1`.
        public var rejectionReasons: [String: Int]
        /// The sum of `samples` over the site's updates that went into a published aggregation
        /// (not those replaced, or accepted into a round that failed).
        public var samplesContributed: Int

        enum CodingKeys: String, CodingKey {
            case site, enrolled, revoked, roundsJoined = "rounds_joined", updatesAccepted = "updates_accepted"
            case updatesRejected = "updates_rejected", rejectionReasons = "rejection_reasons"
            case samplesContributed = "samples_contributed"
        }
    }

    /// One round's outcome.
    public struct Round: Codable, Equatable, Sendable {
        public var round: Int
        /// `open` until aggregated, then `aggregated`, `published`, or `failed`.
        public var status: String
        public var strategy: String?
        /// The sites aggregated (from round-aggregated), or those accepted so far.
        public var contributors: [String]
        public var updatesAccepted: Int
        public var updatesRejected: Int
        public var resultDigest: String?
        /// Why the round failed, if it did.
        public var failureReason: String?

        enum CodingKeys: String, CodingKey {
            case round, status, strategy, contributors, updatesAccepted = "updates_accepted"
            case updatesRejected = "updates_rejected", resultDigest = "result_digest", failureReason = "failure_reason"
        }
    }

    public var entryCount: Int
    /// Sites in name order.
    public var sites: [Site]
    /// Rounds in ascending order.
    public var rounds: [Round]

    enum CodingKeys: String, CodingKey {
        case entryCount = "entry_count", sites, rounds
    }

    /// The report of `entries` (in sequence order).
    public init(entries: [LedgerEntry]) {
        var sites: [String: Site] = [:]
        var rounds: [Int: Round] = [:]
        // Read-modify-write through a copy: a default computed from `sites` inside the
        // subscript's own modify access would violate exclusivity.
        func updateSite(_ id: String, _ change: (inout Site) -> Void) {
            var record = sites[id] ?? Site(site: id, enrolled: false, revoked: false, roundsJoined: [], updatesAccepted: 0,
                                           updatesRejected: 0, rejectionReasons: [:], samplesContributed: 0)
            change(&record)
            sites[id] = record
        }
        func updateRound(_ number: Int, _ change: (inout Round) -> Void) {
            var record = rounds[number] ?? Round(round: number, status: "open", strategy: nil, contributors: [],
                                                 updatesAccepted: 0, updatesRejected: 0, resultDigest: nil, failureReason: nil)
            change(&record)
            rounds[number] = record
        }
        for entry in entries {
            let payload = entry.payload
            switch (entry.kind, entry.site, entry.round) {
            case let (.siteEnrolled, id?, _):
                updateSite(id) { $0.enrolled = true }
            case let (.siteRevoked, id?, _):
                updateSite(id) { $0.revoked = true }
            case let (.roundOpened, _, number?):
                updateRound(number) { $0.strategy = payload["strategy"]?.stringValue }
            case let (.updateAccepted, id?, number?):
                updateSite(id) { site in
                    site.updatesAccepted += 1
                    if !site.roundsJoined.contains(number) { site.roundsJoined.append(number) }
                }
                updateRound(number) { round in
                    round.updatesAccepted += 1
                    if !round.contributors.contains(id) { round.contributors.append(id) }
                }
            case let (.updateRejected, id?, number?):
                let reason = payload["reason"]?.stringValue ?? "unknown"
                updateSite(id) { site in
                    site.updatesRejected += 1
                    site.rejectionReasons[reason, default: 0] += 1
                }
                updateRound(number) { $0.updatesRejected += 1 }
            case let (.roundAggregated, _, number?):
                updateRound(number) { round in
                    round.status = "aggregated"
                    round.strategy = payload["strategy"]?.stringValue ?? round.strategy
                    round.resultDigest = payload["result_digest"]?.stringValue
                    round.contributors = payload["contributors"]?.arrayValue?.compactMap { $0["site"]?.stringValue } ?? round.contributors
                }
                for contributor in payload["contributors"]?.arrayValue ?? [] {
                    guard let id = contributor["site"]?.stringValue else { continue }
                    updateSite(id) { $0.samplesContributed += contributor["samples"]?.integerValue ?? 0 }
                }
            case let (.modelPublished, _, number?):
                updateRound(number) { $0.status = "published" }
            case let (.roundFailed, _, number?):
                updateRound(number) { round in
                    round.status = "failed"
                    round.failureReason = payload["reason"]?.stringValue
                }
            default:
                break  // ledger-created, campaign-started, update-received and unknown kinds carry no participation
            }
        }
        entryCount = entries.count
        self.sites = sites.values.map { var site = $0; site.roundsJoined.sort(); return site }.sorted { $0.site < $1.site }
        self.rounds = rounds.values.sorted { $0.round < $1.round }
    }
}
