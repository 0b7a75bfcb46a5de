import Foundation
import Protocols
import Security

/// The aggregator's API as the agent uses it (Protocols/openapi.yaml). ``CurlAggregatorConnection``
/// is the real one; tests stand in their own. Failures are `TransportError`s: transient ones
/// (`isTransient`) are retried by the agent, `httpStatus` carries the aggregator's error code.
public protocol AggregatorConnection: Sendable {
    /// `GET /v1/rounds/current`; with `after` and `wait`, held up to `wait` seconds until a round
    /// newer than `after` exists.
    func currentRound(after: Int?, wait: Int?) async throws -> RoundStatus
    /// `GET /v1/models/{digest}` into `file`.
    func downloadGlobalAdapter(digest: SHA256.Digest, to file: URL) async throws
    /// `GET /v1/base/{digest}/{name}` into `file`; false when the aggregator has no such file (404).
    func downloadBaseFile(digest: SHA256.Digest, name: String, to file: URL) async throws -> Bool
    /// `PUT /v1/rounds/{round}/updates` of the bytes in `file` with `metadata`'s headers.
    func upload(file: URL, round: Int, metadata: UploadMetadata) async throws -> Receipt
    /// `GET /v1/ledger/certificate`: the ledger key's certificate.
    func ledgerCertificate() async throws -> X509Certificate
}
