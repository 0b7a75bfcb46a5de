import Foundation
import Security

/// The answer to `GET /v1/rounds/current`: which round is running, from which base model and
/// global adapter sites start, the plan they follow and when it closes.
///
/// ```json
/// {"base_digest": "…64 hex…", "deadline": "2025-03-01T13:00:00Z",
///  "global_adapter_digest": "…64 hex…", "id": 3, "plan": {…}, "state": "collecting"}
/// ```
/// Unknown fields are ignored (the plan's are not; see ``ProtocolVersion``).
public struct RoundStatus: Codable, Equatable, Sendable {
    /// A round's life: open → collecting → aggregating → published, or failed when too few
    /// valid updates arrived by the deadline.
    public enum State: String, Codable, CaseIterable, Sendable {
        case open, collecting, aggregating, published, failed

        /// Whether the round still takes updates.
        public var acceptsUpdates: Bool { self == .open || self == .collecting }
    }

    /// The round number; round 0 publishes the initial adapter.
    public var id: Int
    public var state: State
    /// The base model's digest (SHA-256 of its files' concatenated SHA-256 digests).
    public var baseDigest: SHA256.Digest
    /// The global adapter sites start this round from (`GET /v1/models/{digest}`).
    public var globalAdapterDigest: SHA256.Digest
    public var plan: TrainingPlan
    /// When the round stops taking updates.
    public var deadline: Date

    public init(id: Int, state: State, baseDigest: SHA256.Digest, globalAdapterDigest: SHA256.Digest,
                plan: TrainingPlan, deadline: Date) {
        self.id = id
        self.state = state
        self.baseDigest = baseDigest
        self.globalAdapterDigest = globalAdapterDigest
        self.plan = plan
        self.deadline = deadline
    }

    enum CodingKeys: String, CodingKey {
        case id, state, baseDigest = "base_digest", globalAdapterDigest = "global_adapter_digest", plan, deadline
    }
}
