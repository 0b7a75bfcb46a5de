import Foundation
import TOMLKit

/// `tessera-aggregator`'s configuration file (TOML). Relative paths are resolved against the
/// file's directory. ``template`` is the commented file the README shows.
public struct AggregatorConfiguration: Sendable, Equatable {
    /// Where the server listens.
    public var host: String
    public var port: Int
    /// The server's certificate chain and key (`tessera ca issue-server`).
    public var certificateFile: URL
    public var privateKeyFile: URL
    /// The consortium CA certificate: the only anchor for site certificates.
    public var caFile: URL
    /// The ledger key and its certificate (`tessera ca issue-ledger-key`).
    public var ledgerKeyFile: URL
    public var ledgerCertificateFile: URL
    /// Everything the aggregator keeps: `ledger.sqlite` (ledger and state), `blobs/`, `base/`.
    public var stateDirectory: URL
    /// Seconds a round-status long poll may be held at most.
    public var maximumPollSeconds: Int
    /// Uploads received at once; more are answered 503 and retried by the sites. Each in flight
    /// holds its body (up to the plan's `maximum_upload_bytes`) and its decoded tensors.
    public var maximumConcurrentUploads: Int
    /// Log lines as `text` or `json`.
    public var logFormat: String

    /// The file's TOML form (`snake_case` keys in four tables).
    struct File: Codable {
        struct Server: Codable {
            var host: String?
            var port: Int
            var maximum_poll_seconds: Int?
            var maximum_concurrent_uploads: Int?
            var log_format: String?
        }
        struct TLS: Codable {
            var certificate: String
            var private_key: String
            var ca: String
        }
        struct Ledger: Codable {
            var certificate: String
            var private_key: String
        }
        struct State: Codable {
            var directory: String
        }
        var server: Server
        var tls: TLS
        var ledger: Ledger
        var state: State
    }

    /// Reads and checks the file at `url`.
    /// - Throws: ``AggregatorError/configurationInvalid(file:reason:)`` naming the key.
    public init(contentsOf url: URL) throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw AggregatorError.configurationInvalid(file: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(toml: text, source: url.path, directory: url.deletingLastPathComponent())
    }

    /// Reads a configuration's text; relative paths are taken from `directory`.
    /// - Throws: ``AggregatorError/configurationInvalid(file:reason:)`` naming the key.
    public init(toml: String, source: String, directory: URL) throws {
        let file: File
        do {
            file = try TOMLDecoder(strictDecoding: true).decode(File.self, from: toml)
        } catch let error as TOMLParseError {
            throw AggregatorError.configurationInvalid(file: source, reason: "line \(error.source.begin.line): \(error.description)")
        } catch let error as DecodingError {
            throw AggregatorError.configurationInvalid(file: source, reason: Self.describe(error, table: try? TOMLTable(string: toml)))
        } catch let error as UnexpectedKeysError {
            let keys = error.keys.map { key, path in
                let components = path.map(\.stringValue)
                return (components.last == key ? components : components + [key]).joined(separator: ".")
            }.sorted().joined(separator: ", ")
            throw AggregatorError.configurationInvalid(file: source, reason: "unknown keys: \(keys)")
        }
        func path(_ value: String) -> URL {
            value.hasPrefix("/") ? URL(fileURLWithPath: value) : directory.appendingPathComponent(value)
        }
        guard (0...65_535).contains(file.server.port) else {
            throw AggregatorError.configurationInvalid(file: source, reason: "server.port must be 0…65535, not \(file.server.port)")
        }
        let poll = file.server.maximum_poll_seconds ?? 60
        guard (1...600).contains(poll) else {
            throw AggregatorError.configurationInvalid(file: source, reason: "server.maximum_poll_seconds must be 1…600, not \(poll)")
        }
        let uploads = file.server.maximum_concurrent_uploads ?? 32
        guard (1...4096).contains(uploads) else {
            throw AggregatorError.configurationInvalid(file: source, reason: "server.maximum_concurrent_uploads must be 1…4096, not \(uploads)")
        }
        let logFormat = file.server.log_format ?? "text"
        guard ["text", "json"].contains(logFormat) else {
            throw AggregatorError.configurationInvalid(file: source, reason: "server.log_format must be \"text\" or \"json\", not \"\(logFormat)\"")
        }
        host = file.server.host ?? "0.0.0.0"
        port = file.server.port
        certificateFile = path(file.tls.certificate)
        privateKeyFile = path(file.tls.private_key)
        caFile = path(file.tls.ca)
        ledgerKeyFile = path(file.ledger.private_key)
        ledgerCertificateFile = path(file.ledger.certificate)
        stateDirectory = path(file.state.directory)
        maximumPollSeconds = poll
        maximumConcurrentUploads = uploads
        self.logFormat = logFormat
    }

    /// A missing key or a value of the wrong type, by its dotted path. (TOMLKit reports a value
    /// of the wrong type as a missing key; the table tells the two apart.)
    static func describe(_ error: DecodingError, table: TOMLTable?) -> String {
        func path(_ context: DecodingError.Context, _ key: CodingKey? = nil) -> [String] {
            var components = context.codingPath.map(\.stringValue)
            if let key, components.last != key.stringValue { components.append(key.stringValue) }
            return components
        }
        func present(_ components: [String]) -> Bool {
            var current: TOMLTable? = table
            for (index, component) in components.enumerated() {
                guard let value = current?[component] else { return false }
                if index == components.count - 1 { return true }
                current = value.table
            }
            return false
        }
        switch error {
        case let .keyNotFound(key, context):
            let components = path(context, key)
            return "\(components.joined(separator: ".")) \(present(components) ? "has the wrong type" : "is missing")"
        case let .typeMismatch(_, context): return "\(path(context).joined(separator: ".")) has the wrong type"
        case let .valueNotFound(_, context): return "\(path(context).joined(separator: ".")) is missing"
        case let .dataCorrupted(context): return "\(path(context).joined(separator: ".")): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// The commented configuration file, for `tessera-aggregator config template` and the README.
    public static let template = """
        # tessera-aggregator configuration. Relative paths are from this file's directory.

        [server]
        host = "0.0.0.0"              # address to listen on
        port = 8443                   # HTTPS with mutual TLS; sites connect here
        maximum_poll_seconds = 60     # longest a site's round long poll is held
        maximum_concurrent_uploads = 32  # more at once get 503 and retry: bounds memory (each holds its body and tensors)
        log_format = "text"           # or "json": one JSON object per line

        [tls]                         # from `tessera ca issue-server` and `tessera ca init`
        certificate = "pki/server.pem"
        private_key = "pki/server-key.pem"
        ca = "pki/ca/ca.pem"          # the consortium CA: the only anchor for site certificates

        [ledger]                      # from `tessera ca issue-ledger-key`
        certificate = "pki/ledger.pem"
        private_key = "pki/ledger-key.pem"

        [state]
        directory = "state"           # ledger.sqlite (ledger and rounds), blobs/, base/
        """
}
