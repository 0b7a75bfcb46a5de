import Foundation
import GRDB
import Protocols

/// An enrolled site: its certificate, and when and why it was revoked.
public struct SiteRecord: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "site"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    /// The certificate's subject CN.
    public var id: String
    public var serial: String
    /// SHA-256 of the certificate's DER, hex.
    public var fingerprint: String
    /// The certificate's DER bytes.
    public var certificate: Data
    public var enrolledAt: Date
    public var revokedAt: Date?
    public var revocationReason: String?
}

/// A certificate serial refused at the handshake (from `sites revoke` or an imported CRL).
struct RevokedSerialRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "revoked_serial"
    static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    var serial: String
    var site: String?
    var reason: String
    var revokedAt: Date
}

/// A campaign: a base model, a plan and a number of rounds after its initial round.
public struct CampaignRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    public static let databaseTableName = "campaign"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int64?
    public var name: String
    public var baseDigest: String
    /// The plan's wire JSON.
    public var plan: Data
    public var rounds: Int
    /// The round that published the initial adapter; training rounds follow it.
    public var initialRound: Int
    public var startedAt: Date
    public var finishedAt: Date?

    /// The plan, decoded.
    /// - Throws: `TrainingPlanError` (a stored plan was valid when stored).
    public func decodedPlan() throws -> TrainingPlan { try TrainingPlan.decode(json: plan) }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The row id; a campaign read from or inserted into the database has one.
    var rowID: Int64 {
        get throws {
            guard let id else { throw AggregatorError.noCampaign }
            return id
        }
    }
}

/// A round: its state, the adapter it starts from and the one it published.
public struct RoundRecord: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "round"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var id: Int
    public var campaign: Int64
    public var state: RoundStatus.State
    /// The global adapter sites start from (nil for a campaign's initial round).
    public var globalDigest: String?
    /// The adapter this round published.
    public var resultDigest: String?
    public var quorum: Int
    /// Sites enrolled and not revoked when the round opened: "all sites" for closing early.
    public var eligibleSites: [String]
    public var openedAt: Date
    public var deadline: Date
    /// The operator asked to close collection now (`rounds close`).
    public var closeRequested: Bool
    public var closedAt: Date?
    public var failure: String?
}

/// An accepted update.
public struct UpdateRecord: Codable, FetchableRecord, PersistableRecord, Sendable, Equatable {
    public static let databaseTableName = "site_update"
    public static let databaseColumnDecodingStrategy = DatabaseColumnDecodingStrategy.convertFromSnakeCase
    public static let databaseColumnEncodingStrategy = DatabaseColumnEncodingStrategy.convertToSnakeCase

    public var round: Int
    public var site: String
    public var digest: String
    public var samples: Int
    /// The container's size on the wire.
    public var bytes: Int
    public var stepNorm: Double?
    public var acceptedAt: Date
    /// The `update-accepted` ledger entry (its receipt).
    public var ledgerSequence: Int
    /// Replaced by a later update of the same site in the same round.
    public var superseded: Bool

    /// The accepted updates of a round that count (not replaced), by site.
    static func counting(round: Int) -> QueryInterfaceRequest<UpdateRecord> {
        filter(Column("round") == round && Column("superseded") == false).order(Column("site"))
    }
}
