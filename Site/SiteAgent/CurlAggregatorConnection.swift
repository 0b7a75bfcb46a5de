import Foundation
import Logging
import Protocols
import Security
import Transport

/// ``AggregatorConnection`` over mutual TLS with libcurl: the site bundle's certificate and key,
/// the consortium CA as the only trust anchor, the configured or environment proxy. Each request
/// is one attempt (the agent retries with backoff, so a shutdown is never stuck in a retry sleep).
public struct CurlAggregatorConnection: AggregatorConnection {
    let client: CurlClient
    /// Seconds a long poll may take beyond its `wait`.
    static let pollMargin = 30.0
    /// Seconds for one upload or model or base file download: at most, over a slow hospital
    /// link (64 MiB at 0.15 Mbit/s); a stalled one fails sooner (``CurlTransfer``'s stall limit).
    static let transferTimeout = 3600.0

    /// - Throws: `TransportError.clientConfigurationInvalid` naming a missing bundle file or bad URL.
    public init(configuration: SiteConfiguration, logger: Logger) throws {
        let bundle = configuration.bundle
        let curl = CurlClientConfiguration(
            baseURL: bundle.aggregatorURL, certificateFile: bundle.certificate, privateKeyFile: bundle.privateKey,
            trustAnchorFile: bundle.certificateAuthority, proxy: configuration.proxy.httpsProxy,
            noProxy: configuration.proxy.noProxy, retry: RetryPolicy(maximumAttempts: 1))
        client = try CurlClient(configuration: curl, logger: logger)
    }

    public func currentRound(after: Int?, wait: Int?) async throws -> RoundStatus {
        var query: [String] = []
        if let after { query.append("after=\(after)") }
        if let wait { query.append("wait=\(wait)") }
        let path = "/v1/rounds/current" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let response = try await client.get(path, timeout: wait.map { Double($0) + Self.pollMargin })
        return try decode(RoundStatus.self, response.body, path: path)
    }

    public func downloadGlobalAdapter(digest: SHA256.Digest, to file: URL) async throws {
        _ = try await client.download("/v1/models/\(digest.hex)", to: file, timeout: Self.transferTimeout)
    }

    public func downloadBaseFile(digest: SHA256.Digest, name: String, to file: URL) async throws -> Bool {
        do {
            _ = try await client.download("/v1/base/\(digest.hex)/\(name)", to: file, timeout: Self.transferTimeout)
            return true
        } catch TransportError.httpStatus(_, 404, _, _) {
            return false
        }
    }

    public func upload(file: URL, round: Int, metadata: UploadMetadata) async throws -> Receipt {
        let path = "/v1/rounds/\(round)/updates"
        let response = try await client.upload(file: file, to: path, headers: metadata.httpHeaderFields, timeout: Self.transferTimeout)
        return try decode(Receipt.self, response.body, path: path)
    }

    public func ledgerCertificate() async throws -> X509Certificate {
        let path = "/v1/ledger/certificate"
        let response = try await client.get(path)
        return try X509Certificate(pem: String(decoding: response.body, as: UTF8.self), source: url(path))
    }

    private func url(_ path: String) -> String {
        let base = client.configuration.baseURL
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
    }

    private func decode<Value: Decodable>(_ type: Value.Type, _ body: [UInt8], path: String) throws -> Value {
        do {
            return try WireJSON.decode(type, from: Data(body))
        } catch {
            throw SiteAgentError.unreadableAnswer(url: url(path), reason: "\(error)")
        }
    }
}
