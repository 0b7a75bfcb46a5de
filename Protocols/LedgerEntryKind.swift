/// A ledger entry's kind. Open-ended (a struct, not an enum) so a verifier built before a new
/// kind existed still reads the entry; the known kinds are the constants.
public struct LedgerEntryKind: RawRepresentable, Codable, Hashable, Sendable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The first entry of every ledger: it embeds the ledger key's certificate.
    public static let ledgerCreated = LedgerEntryKind(rawValue: "ledger-created")
    public static let siteEnrolled = LedgerEntryKind(rawValue: "site-enrolled")
    public static let siteRevoked = LedgerEntryKind(rawValue: "site-revoked")
    public static let campaignStarted = LedgerEntryKind(rawValue: "campaign-started")
    public static let roundOpened = LedgerEntryKind(rawValue: "round-opened")
    public static let updateReceived = LedgerEntryKind(rawValue: "update-received")
    public static let updateAccepted = LedgerEntryKind(rawValue: "update-accepted")
    public static let updateRejected = LedgerEntryKind(rawValue: "update-rejected")
    public static let roundAggregated = LedgerEntryKind(rawValue: "round-aggregated")
    public static let modelPublished = LedgerEntryKind(rawValue: "model-published")
    public static let roundFailed = LedgerEntryKind(rawValue: "round-failed")
}
