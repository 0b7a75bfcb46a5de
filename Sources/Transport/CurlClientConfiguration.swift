import Foundation

/// How a site's `CurlClient` reaches the aggregator: the site bundle's files, TLS versions,
/// proxy, timeouts and retries.
public struct CurlClientConfiguration: Sendable {
    /// The aggregator's base URL, https only ("https://aggregator.consortium.example:8443").
    public var baseURL: String
    /// The site certificate (PEM) from the site bundle.
    public var certificateFile: URL
    /// The site's private key (PEM) from the site bundle.
    public var privateKeyFile: URL
    /// The consortium CA certificate: the only trust anchor (the system's CAs are not used).
    public var trustAnchorFile: URL
    /// Whether TLS 1.2 is acceptable (default: false, TLS 1.3 minimum).
    public var allowsTLS12: Bool
    /// An explicit proxy ("http://proxy.hospital.example:3128"); nil (default) lets libcurl use
    /// HTTPS_PROXY / https_proxy / ALL_PROXY and NO_PROXY from the environment.
    public var proxy: String?
    /// Hosts that bypass the explicit proxy (NO_PROXY syntax); nil (default) keeps the environment's.
    public var noProxy: String?
    /// Seconds to wait for a TCP connection, proxy included (default: 15).
    public var connectTimeout: Double
    /// Seconds one attempt of a request may take in all (default: 300); long polls and large
    /// transfers pass their own.
    public var requestTimeout: Double
    /// Retries of transient failures.
    public var retry: RetryPolicy

    /// A configuration; see each property for its default.
    public init(baseURL: String, certificateFile: URL, privateKeyFile: URL, trustAnchorFile: URL,
                allowsTLS12: Bool = false, proxy: String? = nil, noProxy: String? = nil,
                connectTimeout: Double = 15, requestTimeout: Double = 300, retry: RetryPolicy = RetryPolicy()) {
        self.baseURL = baseURL
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.trustAnchorFile = trustAnchorFile
        self.allowsTLS12 = allowsTLS12
        self.proxy = proxy
        self.noProxy = noProxy
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.retry = retry
    }
}

/// Exponential backoff with jitter for transient failures (connection, timeout, 5xx, 429).
///
/// Attempt `n` (from 1) waits `min(maximumDelay, initialDelay · 2^(n-1))` scaled by a random
/// factor in [0.5, 1] ("equal jitter"), so sites that lost the aggregator together do not
/// reconnect together.
public struct RetryPolicy: Sendable, Equatable {
    /// How many attempts in all, the first included (default: 5).
    public var maximumAttempts: Int
    /// The wait before the first retry, in seconds (default: 1).
    public var initialDelay: Double
    /// The longest wait between attempts, in seconds (default: 60).
    public var maximumDelay: Double

    /// A policy; see each property for its default.
    public init(maximumAttempts: Int = 5, initialDelay: Double = 1, maximumDelay: Double = 60) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The wait after failed attempt `attempt` (from 1), given a jitter draw in [0, 1].
    public func delay(afterAttempt attempt: Int, jitter: Double) -> Double {
        let exponential = initialDelay * pow(2, Double(max(0, attempt - 1)))
        return min(maximumDelay, exponential) * (0.5 + 0.5 * min(1, max(0, jitter)))
    }
}

extension TransportError {
    /// Whether retrying the same request may succeed: connection failures, timeouts, broken
    /// transfers, 5xx and 429. Certificate, proxy, DNS, configuration and other 4xx errors need a
    /// person to fix something first.
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .timedOut, .transferFailed:
            return true
        case let .httpStatus(_, status, _, _):
            return status == 429 || (500...599).contains(status)
        default:
            return false
        }
    }
}
