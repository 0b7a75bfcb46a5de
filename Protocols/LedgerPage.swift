/// `GET /v1/ledger?after=N`: entries with sequence > N in order, at most a server-chosen page;
/// `nextAfter` is the `after` of the next page, nil when this page reaches the head.
public struct LedgerPage: Codable, Equatable, Sendable {
    public var entries: [LedgerEntryMessage]
    public var nextAfter: Int?

    public init(entries: [LedgerEntryMessage], nextAfter: Int?) {
        self.entries = entries
        self.nextAfter = nextAfter
    }

    enum CodingKeys: String, CodingKey {
        case entries, nextAfter = "next_after"
    }
}
