import Foundation
import Protocols
import Security

/// What the aggregator records: an entry before the store gives it a sequence, time, hash and
/// signature. Build one with the constructors below, which fix each kind's payload fields
/// (docs/LEDGER.md lists them); the payload's digests are lowercase hex, times RFC 3339 text,
/// counts integers.
public struct LedgerEvent: Equatable, Sendable {
    public var kind: LedgerEntryKind
    public var round: Int?
    public var site: String?
    public var payload: JSONValue

    /// An event of any kind, for kinds this library does not know yet.
    public init(kind: LedgerEntryKind, round: Int? = nil, site: String? = nil, payload: JSONValue) {
        self.kind = kind
        self.round = round
        self.site = site
        self.payload = payload
    }

    /// The format of the ledger, recorded in its first entry.
    public static let format = "tessera-ledger-1"

    /// The first entry: `{"certificate": base64 DER of the ledger certificate, "format": "tessera-ledger-1"}`.
    public static func ledgerCreated(certificate: X509Certificate) -> LedgerEvent {
        LedgerEvent(kind: .ledgerCreated, payload: .object([
            "certificate": .string(Data(certificate.derRepresentation).base64EncodedString()),
            "format": .string(format),
        ]))
    }

    /// A site's certificate was enrolled: `{"certificate_fingerprint", "serial"}`.
    public static func siteEnrolled(site: String, certificate: X509Certificate) -> LedgerEvent {
        LedgerEvent(kind: .siteEnrolled, site: site, payload: .object([
            "certificate_fingerprint": .string(certificate.fingerprint.hex),
            "serial": .string(certificate.serialNumber),
        ]))
    }

    /// A site was revoked: `{"reason"}` and `"serial"` when a certificate serial was named.
    public static func siteRevoked(site: String, serial: String?, reason: String) -> LedgerEvent {
        var fields: [String: JSONValue] = ["reason": .string(reason)]
        if let serial { fields["serial"] = .string(serial) }
        return LedgerEvent(kind: .siteRevoked, site: site, payload: .object(fields))
    }

    /// A campaign started: `{"campaign", "base_digest", "plan_digest", "rounds"}`.
    public static func campaignStarted(campaign: String, baseDigest: SHA256.Digest, planDigest: SHA256.Digest,
                                       rounds: Int) -> LedgerEvent {
        LedgerEvent(kind: .campaignStarted, payload: .object([
            "campaign": .string(campaign),
            "base_digest": .string(baseDigest.hex),
            "plan_digest": .string(planDigest.hex),
            "rounds": .number(Double(rounds)),
        ]))
    }

    /// A round opened: `{"global_digest", "strategy", "quorum", "eligible_sites"}` and `"deadline"` if set.
    public static func roundOpened(round: Int, globalDigest: SHA256.Digest, strategy: String, quorum: Int,
                                   deadline: Date?, eligibleSites: [String]) -> LedgerEvent {
        var fields: [String: JSONValue] = [
            "global_digest": .string(globalDigest.hex),
            "strategy": .string(strategy),
            "quorum": .number(Double(quorum)),
            "eligible_sites": .array(eligibleSites.map(JSONValue.string)),
        ]
        if let deadline { fields["deadline"] = .string(LedgerTime.text(deadline)) }
        return LedgerEvent(kind: .roundOpened, round: round, payload: .object(fields))
    }

    /// An upload arrived, before validation: `{"digest", "bytes"}` (bytes on the wire).
    public static func updateReceived(round: Int, site: String, digest: SHA256.Digest, bytes: Int) -> LedgerEvent {
        LedgerEvent(kind: .updateReceived, round: round, site: site, payload: .object([
            "digest": .string(digest.hex),
            "bytes": .number(Double(bytes)),
        ]))
    }

    /// An update passed validation and is durable: `{"digest", "samples"}` and `"step_norm"` if
    /// measured. A receipt names this entry.
    public static func updateAccepted(round: Int, site: String, digest: SHA256.Digest, samples: Int,
                                      stepNorm: Double?) -> LedgerEvent {
        var fields: [String: JSONValue] = ["digest": .string(digest.hex), "samples": .number(Double(samples))]
        if let stepNorm { fields["step_norm"] = .number(stepNorm) }
        return LedgerEvent(kind: .updateAccepted, round: round, site: site, payload: .object(fields))
    }

    /// An upload was refused: `{"reason": the ErrorCode, "detail"}` and `"digest"` when known.
    public static func updateRejected(round: Int, site: String, digest: SHA256.Digest?, reason: ErrorCode,
                                      detail: String) -> LedgerEvent {
        var fields: [String: JSONValue] = ["reason": .string(reason.rawValue), "detail": .string(detail)]
        if let digest { fields["digest"] = .string(digest.hex) }
        return LedgerEvent(kind: .updateRejected, round: round, site: site, payload: .object(fields))
    }

    /// One site's share of an aggregation.
    public struct Contributor: Equatable, Sendable {
        public var site: String
        public var digest: SHA256.Digest
        public var samples: Int
        /// `n_i / Σ n`.
        public var weight: Double

        public init(site: String, digest: SHA256.Digest, samples: Int, weight: Double) {
            self.site = site
            self.digest = digest
            self.samples = samples
            self.weight = weight
        }
    }

    /// A round was aggregated: `{"strategy", "result_digest", "contributors": [{"site", "digest",
    /// "samples", "weight"}], "metrics": {name: number}}`.
    public static func roundAggregated(round: Int, strategy: String, contributors: [Contributor],
                                       resultDigest: SHA256.Digest, metrics: [String: Double]) -> LedgerEvent {
        LedgerEvent(kind: .roundAggregated, round: round, payload: .object([
            "strategy": .string(strategy),
            "result_digest": .string(resultDigest.hex),
            "contributors": .array(contributors.map { contributor in
                .object([
                    "site": .string(contributor.site),
                    "digest": .string(contributor.digest.hex),
                    "samples": .number(Double(contributor.samples)),
                    "weight": .number(contributor.weight),
                ])
            }),
            "metrics": .object(metrics.mapValues(JSONValue.number)),
        ]))
    }

    /// A global adapter was published: `{"digest"}`.
    public static func modelPublished(round: Int, digest: SHA256.Digest) -> LedgerEvent {
        LedgerEvent(kind: .modelPublished, round: round, payload: .object(["digest": .string(digest.hex)]))
    }

    /// A round closed without a release: `{"reason", "valid_updates", "quorum"}`.
    public static func roundFailed(round: Int, reason: String, validUpdates: Int, quorum: Int) -> LedgerEvent {
        LedgerEvent(kind: .roundFailed, round: round, payload: .object([
            "reason": .string(reason),
            "valid_updates": .number(Double(validUpdates)),
            "quorum": .number(Double(quorum)),
        ]))
    }
}
