import NIOCore

/// The limits that keep slow or oversized clients from holding the aggregator's connections.
public struct HTTPServerLimits: Sendable, Equatable {
    /// The largest request body accepted, in bytes (default: 1 GiB); larger ones get 413.
    public var maxRequestBodyBytes: Int
    /// The largest request header block, in bytes (default: 16 KiB); larger ones get 400.
    public var maxHeaderBytes: Int
    /// How long a client has to send a complete request head, from the connection's start or
    /// from the moment the previous response has been sent whole (default: 10 s); this is also
    /// how long an idle keep-alive connection is kept.
    public var requestHeadTimeout: TimeAmount
    /// How long a request body may stall between two reads (default: 30 s).
    public var bodyReadTimeout: TimeAmount
    /// How long a client may take to receive a response, from its head to its last byte, a
    /// streamed file included (default: 1 hour, the site agent's transfer timeout: a 64 MiB adapter
    /// over a slow hospital link takes minutes, a base model longer).
    public var responseDrainTimeout: TimeAmount

    /// Limits; see each property for its default.
    public init(maxRequestBodyBytes: Int = 1 << 30, maxHeaderBytes: Int = 16 * 1024,
                requestHeadTimeout: TimeAmount = .seconds(10), bodyReadTimeout: TimeAmount = .seconds(30),
                responseDrainTimeout: TimeAmount = .hours(1)) {
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.requestHeadTimeout = requestHeadTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.responseDrainTimeout = responseDrainTimeout
    }
}
