/// The machine-readable reason in an ``ErrorBody``; the HTTP status goes with it as listed
/// (the aggregator maps its errors in one place). Open-ended like ``LedgerEntryKind``.
public struct ErrorCode: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// 400: a request the API does not describe (bad parameter, missing header).
    public static let badRequest = ErrorCode(rawValue: "bad-request")
    /// 400: the upload's `Tessera-Protocol-Version` is not this server's.
    public static let unsupportedProtocolVersion = ErrorCode(rawValue: "unsupported-protocol-version")
    /// 403: the certificate is valid but its site is not enrolled.
    public static let notEnrolled = ErrorCode(rawValue: "not-enrolled")
    /// 404: no such round, model, base file or route.
    public static let notFound = ErrorCode(rawValue: "not-found")
    /// 409: the upload names a round that is not the current one or no longer takes updates.
    public static let wrongRound = ErrorCode(rawValue: "wrong-round")
    /// 409: the update was trained from another base model.
    public static let staleBase = ErrorCode(rawValue: "stale-base")
    /// 409: the site already has an accepted update and the plan forbids replacement.
    public static let replacementNotAllowed = ErrorCode(rawValue: "replacement-not-allowed")
    /// 413: the body exceeds `wire.maximum_upload_bytes`, or decompresses beyond its limit.
    public static let tooLarge = ErrorCode(rawValue: "too-large")
    /// 422: the body is not a readable delta container (zstd, safetensors, header metadata).
    public static let corruptBody = ErrorCode(rawValue: "corrupt-body")
    /// 422: the container's digest is not the one declared in `Tessera-Content-Digest`.
    public static let digestMismatch = ErrorCode(rawValue: "digest-mismatch")
    /// 422: tensor names, shapes or dtypes differ from the plan's upload list.
    public static let wrongTensors = ErrorCode(rawValue: "wrong-tensors")
    /// 422: a tensor holds NaN or infinity.
    public static let nonFinite = ErrorCode(rawValue: "non-finite")
    /// 422: the step's norm exceeds the plan's bound and the plan says reject.
    public static let normOutlier = ErrorCode(rawValue: "norm-outlier")
    /// 500: the aggregator failed; the site retries later.
    public static let internalError = ErrorCode(rawValue: "internal")
    /// 503: the aggregator is starting or stopping, or receiving its maximum of uploads at once;
    /// the site retries later.
    public static let unavailable = ErrorCode(rawValue: "unavailable")
}
