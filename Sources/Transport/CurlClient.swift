import CCurl
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The site agent's HTTPS client: libcurl (OpenSSL flavour) with the site's certificate, the
/// consortium CA as the only trust anchor, host-name verification and TLS 1.3 minimum.
///
/// Each request uses a fresh easy handle and runs synchronously on the calling thread (run it
/// off the cooperative pool, e.g. in a detached thread, from async code). Transient failures are
/// retried by `CurlClientConfiguration.retry`; the error of the last attempt is thrown.
///
/// ```swift
/// let client = try CurlClient(configuration: configuration, logger: logger)
/// let round = try client.get("/v1/rounds/current?after=6&wait=55", timeout: 70)
/// let receipt = try client.upload(file: containerURL, to: "/v1/rounds/7/updates")
/// ```
public struct CurlClient: Sendable {
    /// What the aggregator answered.
    public struct Response: Sendable, Equatable {
        /// The HTTP status (2xx: errors are thrown as `TransportError.httpStatus`).
        public let status: Int
        /// The body; empty for downloads to a file.
        public let body: [UInt8]
    }

    /// The configuration requests use.
    public let configuration: CurlClientConfiguration
    private let logger: Logger
    /// Responses kept in memory are capped (JSON messages and receipts are small): 16 MiB.
    static let maximumInMemoryBody = 16 << 20

    /// A client; checks that the bundle files exist and initialises libcurl once per process.
    /// - Throws: `TransportError.clientConfigurationInvalid` naming the missing file or bad URL.
    public init(configuration: CurlClientConfiguration, logger: Logger) throws {
        guard configuration.baseURL.lowercased().hasPrefix("https://") else {
            throw TransportError.clientConfigurationInvalid(
                item: "aggregator URL \(configuration.baseURL)", reason: "must start with https://")
        }
        for (item, url) in [("site certificate", configuration.certificateFile),
                            ("site private key", configuration.privateKeyFile),
                            ("consortium CA certificate", configuration.trustAnchorFile)]
        where !FileManager.default.isReadableFile(atPath: url.path) {
            throw TransportError.clientConfigurationInvalid(item: "\(item) \(url.path)", reason: "missing or unreadable")
        }
        guard Self.globalInitialisation == CURLE_OK else {
            throw TransportError.clientConfigurationInvalid(item: "libcurl", reason: "curl_global_init failed")
        }
        self.configuration = configuration
        self.logger = logger
    }

    /// libcurl's process-wide setup, run once (Swift initialises a global `let` exactly once, thread-safely).
    private static let globalInitialisation: CURLcode = curl_global_init(tessera_CURL_GLOBAL_DEFAULT())

    /// GET `path`; with `timeout` for long polls held open by the aggregator.
    /// - Parameters:
    ///   - timeout: seconds for one attempt (default: the configuration's request timeout).
    ///   - cancellation: when set, the transfer and any retry wait stop within about a second.
    /// - Throws: `TransportError` (see `CurlTransfer` for the mapping); `CancellationError` once
    ///   `cancellation` is set.
    public func get(_ path: String, timeout: Double? = nil, cancellation: CancellationFlag? = nil) throws -> Response {
        try withRetries(path, cancellation) {
            try CurlTransfer(client: self, path: path, timeout: timeout, cancellation: cancellation).perform(upload: nil, download: nil)
        }
    }

    /// PUT the file at `file` to `path`, streamed from disk (never loaded whole), with extra
    /// request header fields (an update's `UploadMetadata`).
    /// - Throws: `TransportError.fileFailed` if the file cannot be read, and the request errors.
    public func upload(file: URL, to path: String, headers: [String: String] = [:], timeout: Double? = nil,
                       cancellation: CancellationFlag? = nil) throws -> Response {
        try withRetries(path, cancellation) {
            let source = try FileDescriptor(reading: file)
            return try CurlTransfer(client: self, path: path, timeout: timeout, headers: headers, cancellation: cancellation)
                .perform(upload: source, download: nil)
        }
    }

    /// GET `path` into `file`, streamed to disk: written to `file`.partial and renamed into place
    /// when complete, so a broken download never leaves a truncated file under the real name.
    /// - Returns: the response, with an empty body.
    /// - Throws: `TransportError.fileFailed` if the file cannot be written, and the request errors.
    public func download(_ path: String, to file: URL, timeout: Double? = nil, cancellation: CancellationFlag? = nil) throws -> Response {
        let partial = URL(fileURLWithPath: file.path + ".partial")
        return try withRetries(path, cancellation) {
            let sink = try FileDescriptor(writing: partial)
            let response: Response
            do {
                response = try CurlTransfer(client: self, path: path, timeout: timeout, cancellation: cancellation).perform(upload: nil, download: sink)
            } catch {
                unlink(partial.path)  // a retry starts over; a failure leaves nothing behind
                throw error
            }
            guard rename(partial.path, file.path) == 0 else {
                throw TransportError.fileFailed(path: file.path, reason: "cannot rename the download into place: \(String(cString: strerror(errno)))")
            }
            return response
        }
    }

    func url(for path: String) -> String {
        let base = configuration.baseURL.hasSuffix("/") ? String(configuration.baseURL.dropLast()) : configuration.baseURL
        return base + (path.hasPrefix("/") ? path : "/" + path)
    }

    private func withRetries(_ path: String, _ cancellation: CancellationFlag?, _ attempt: () throws -> Response) throws -> Response {
        var number = 1
        while true {
            if cancellation?.isSet() == true { throw CancellationError() }
            do {
                return try attempt()
            } catch let error as TransportError where error.isTransient && number < configuration.retry.maximumAttempts {
                let delay = configuration.retry.delay(afterAttempt: number, jitter: Double.random(in: 0...1))
                logger.info("request failed, retrying", metadata: [
                    "http.url": "\(url(for: path))", "transport.attempt": "\(number)",
                    "transport.retry_delay_s": "\(delay)", "transport.error": "\(error)",
                ])
                let end = Date().addingTimeInterval(delay)
                while Date() < end, cancellation?.isSet() != true { Thread.sleep(forTimeInterval: min(0.05, delay)) }
                number += 1
            }
        }
    }
}

/// An open file for a streamed upload or download, closed when released.
final class FileDescriptor {
    let descriptor: Int32
    let path: String
    /// The size for uploads (Content-Length).
    let size: Int64
    /// The first I/O error, reported after libcurl aborts the transfer.
    var failure: String?

    init(reading url: URL) throws {
        descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        path = url.path
        var status = stat()
        guard descriptor >= 0, fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            throw TransportError.fileFailed(path: url.path, reason: "cannot open for upload: \(reason)")
        }
        size = Int64(status.st_size)
    }

    init(writing url: URL) throws {
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        path = url.path
        size = 0
        guard descriptor >= 0 else {
            throw TransportError.fileFailed(path: url.path, reason: "cannot create for download: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
    }
}
