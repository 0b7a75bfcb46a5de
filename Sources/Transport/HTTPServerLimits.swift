import NIOCore

/// The limits that keep slow or oversized clients from holding the aggregator's connections.
public struct HTTPServerLimits: Sendable, Equatable {
    /// The largest request body accepted, in bytes (default: 1 GiB); larger ones get 413.
    public var maxRequestBodyBytes: Int
    /// The largest request header block, in bytes (default: 16 KiB); larger ones get 400.
    public var maxHeaderBytes: Int
    /// How long a client has to send a complete request head, from the connection's start or
    /// the end of the previous response (default: 10 s).
    public var requestHeadTimeout: TimeAmount
    /// How long a request body may stall between two reads (default: 30 s).
    public var bodyReadTimeout: TimeAmount
    /// How long an idle keep-alive connection is kept (default: 60 s).
    public var idleTimeout: TimeAmount

    /// Limits; see each property for its default.
    public init(maxRequestBodyBytes: Int = 1 << 30, maxHeaderBytes: Int = 16 * 1024,
                requestHeadTimeout: TimeAmount = .seconds(10), bodyReadTimeout: TimeAmount = .seconds(30),
                idleTimeout: TimeAmount = .seconds(60)) {
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.requestHeadTimeout = requestHeadTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.idleTimeout = idleTimeout
    }
}
