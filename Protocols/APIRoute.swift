/// Every endpoint of the aggregator's API (ARCHITECTURE.md's table), described in
/// `openapi.yaml` beside this file (``OpenAPIDocument``). Path parameters are in braces.
public enum APIRoute: String, CaseIterable, Sendable {
    /// The current round (``RoundStatus``); `after=R&wait=S` holds the request up to S seconds
    /// until a round newer than R opens (long poll), then answers the current round either way.
    case currentRound = "GET /v1/rounds/current"
    /// A global adapter: its delta container (fp32), addressed by digest.
    case model = "GET /v1/models/{digest}"
    /// A file of the base model with digest `{digest}` (`config.json`, `model.safetensors`,
    /// `tokenizer.json`, `preprocessor_config.json`).
    case baseFile = "GET /v1/base/{digest}/{file}"
    /// A site's update (a delta container with ``UploadMetadata`` headers); answers a ``Receipt``.
    /// Idempotent per (round, site, digest).
    case upload = "PUT /v1/rounds/{id}/updates"
    /// Ledger entries after sequence N (``LedgerPage``).
    case ledger = "GET /v1/ledger"
    /// The signed head of the ledger (``LedgerHead``).
    case ledgerHead = "GET /v1/ledger/head"
    /// The ledger key's certificate (PEM).
    case ledgerCertificate = "GET /v1/ledger/certificate"
    /// Liveness: `ok`.
    case health = "GET /healthz"
    /// Prometheus text exposition.
    case metrics = "GET /metrics"

    /// The HTTP method.
    public var method: String { String(rawValue.prefix { $0 != " " }) }

    /// The path template, e.g. `/v1/rounds/{id}/updates`.
    public var path: String { String(rawValue.drop { $0 != " " }.dropFirst()) }
}
