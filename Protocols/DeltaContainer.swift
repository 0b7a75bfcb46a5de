import Foundation
import Security
import Tensor

/// An adapter (a site's update or a global adapter) as it travels and is stored: canonical
/// safetensors bytes, byte-plane shuffled, in one zstd frame (ARCHITECTURE.md, "Delta container").
///
/// **Layers**, from the tensors out:
/// 1. *Canonical safetensors bytes* `S` (Tensor's ``Safetensors/encode(_:metadata:)``): 8-byte
///    little-endian header length `N`, `N` bytes of header JSON (keys sorted by UTF-8 bytes, no
///    whitespace, padded with spaces to a multiple of 8), then the tensors' little-endian data in
///    name order. Every tensor has the container's dtype: F32 (`fp32`, exact) or BF16 (`bf16`,
///    each float32 rounded to nearest even). The **digest** is `SHA-256(S)`; it names the
///    container everywhere (URLs, receipts, ledger).
/// 2. *Shuffled stream* `T`, as long as `S`: `T[0 ..< 8+N] = S[0 ..< 8+N]` (length and header
///    unchanged), then the data region `D = S[8+N ..< |S|]` of `n = |D| / w` elements of `w`
///    bytes (4 for F32, 2 for BF16) as `w` planes: `T[8+N + k·n + i] = D[i·w + k]`
///    (see ``ByteShuffle``).
/// 3. *Container* `C`: one zstd frame of `T` (level 3, content size in the frame header, XXH64
///    content checksum; see ``Zstd``).
///
/// **Header metadata** (`__metadata__`, all values strings; no other keys are allowed):
/// | key | value |
/// | --- | --- |
/// | `format` | `pt` (so transformers/PEFT load the safetensors as is) |
/// | `tessera.format_version` | `1` |
/// | `tessera.round` | the round, decimal |
/// | `tessera.site` | the site id; absent in global adapters |
/// | `tessera.base_digest` | the base model's digest, 64 hex digits |
/// | `tessera.sample_count` | nᵢ (a global adapter: Σ nᵢ of its round, 0 for round 0), decimal |
/// | `tessera.dtype` | `F32` or `BF16` |
/// | `tessera.metric.<name>` | a metric, Swift's shortest round-trip decimal (`0.25`, `1e-05`) |
///
/// The same tensors and header give the same `S`, digest and `C` in any process (for `C`, with
/// the same libzstd version). Decoding is ``decode(_:source:expecting:)``.
public struct DeltaContainer: Equatable, Sendable {
    /// The current `tessera.format_version`.
    public static let formatVersion = 1

    /// What the header metadata says besides the tensors.
    public struct Header: Equatable, Sendable {
        public var round: Int
        /// The uploading site; nil for a global adapter.
        public var site: String?
        public var baseDigest: SHA256.Digest
        public var sampleCount: Int
        public var encoding: WireEncoding
        /// Training metrics by name (`[A-Za-z0-9_.-]+`), finite.
        public var metrics: [String: Double]

        public init(round: Int, site: String?, baseDigest: SHA256.Digest, sampleCount: Int, encoding: WireEncoding,
                    metrics: [String: Double] = [:]) {
            self.round = round
            self.site = site
            self.baseDigest = baseDigest
            self.sampleCount = sampleCount
            self.encoding = encoding
            self.metrics = metrics
        }
    }

    /// The metadata keys.
    public enum MetadataKey {
        public static let format = "format"
        public static let formatVersion = "tessera.format_version"
        public static let round = "tessera.round"
        public static let site = "tessera.site"
        public static let baseDigest = "tessera.base_digest"
        public static let sampleCount = "tessera.sample_count"
        public static let dtype = "tessera.dtype"
        public static let metricPrefix = "tessera.metric."
    }

    /// A container's bytes and its name.
    public struct Encoded: Equatable, Sendable {
        /// The zstd frame, what is uploaded and stored.
        public var bytes: [UInt8]
        /// SHA-256 of the canonical safetensors bytes.
        public var digest: SHA256.Digest
        /// The length of the canonical safetensors bytes.
        public var canonicalByteCount: Int
    }

    public var header: Header
    /// The tensors; encoding orders them by name.
    public var tensors: [NamedTensor]

    public init(header: Header, tensors: [NamedTensor]) {
        self.header = header
        self.tensors = tensors
    }

    /// The canonical safetensors bytes `S` (layer 1).
    /// - Throws: ``DeltaContainerError/invalidTensor(tensor:reason:)`` for duplicate or empty
    ///   names, a value count that does not fit the shape, a non-finite value or one beyond
    ///   bf16's range under `bf16`; ``DeltaContainerError/invalidMetric(name:reason:)``.
    public func canonicalBytes() throws -> [UInt8] {
        var names: Set<String> = []
        for tensor in tensors {
            guard !tensor.name.isEmpty, names.insert(tensor.name).inserted else {
                throw DeltaContainerError.invalidTensor(tensor: tensor.name, reason: "names must be non-empty and distinct")
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.values.count else {
                throw DeltaContainerError.invalidTensor(tensor: tensor.name, reason: "\(tensor.values.count) values do not fill shape \(tensor.shape)")
            }
            // bf16's largest finite value is 0x7F7F; float32 bits from 0x7F7F8000 up round to infinity.
            let limit: UInt32 = header.encoding == .bf16 ? 0x7F7F_8000 : 0x7F80_0000
            if let index = tensor.values.firstIndex(where: { $0.bitPattern & 0x7FFF_FFFF >= limit }) {
                throw DeltaContainerError.invalidTensor(tensor: tensor.name, reason: "element \(index) is \(tensor.values[index]), not finite in \(header.encoding.rawValue)")
            }
        }
        let entries = tensors.map { tensor in
            switch header.encoding {
            case .fp32: return Safetensors.Entry.float32(name: tensor.name, shape: tensor.shape, values: tensor.values)
            case .bf16: return Safetensors.Entry.bfloat16(name: tensor.name, shape: tensor.shape, values: tensor.values)
            }
        }
        return Safetensors.encode(entries, metadata: try header.metadata())
    }

    /// The container (layer 3) and its digest.
    /// - Throws: as ``canonicalBytes()``, and ``DeltaContainerError/compressionFailed(reason:)``;
    ///   `SecurityError` if OpenSSL cannot hash.
    public func encoded() throws -> Encoded {
        let canonical = try canonicalBytes()
        let digest = try SHA256.hash(canonical)
        let stream = Self.shuffled(canonical, width: header.encoding.dtype.byteCount)
        return Encoded(bytes: try Zstd.compress(stream), digest: digest, canonicalByteCount: canonical.count)
    }

    /// Layer 1 → layer 2: the data region after the header shuffled into `width` byte planes.
    static func shuffled(_ canonical: [UInt8], width: Int) -> [UInt8] {
        var stream = canonical
        let dataStart = headerEnd(canonical)
        canonical.withUnsafeBytes { source in
            stream.withUnsafeMutableBytes { target in
                ByteShuffle.shuffle(UnsafeRawBufferPointer(rebasing: source[dataStart...]), width: width,
                                    into: UnsafeMutableRawBufferPointer(rebasing: target[dataStart...]))
            }
        }
        return stream
    }

    /// `8 + N`, the end of the length prefix and header (`Int.max` for a length beyond `Int`).
    static func headerEnd(_ bytes: [UInt8]) -> Int {
        let length = bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return length > UInt64(Int.max - 8) ? Int.max : 8 + Int(length)
    }
}

extension DeltaContainer.Header {
    /// The `__metadata__` strings of this header.
    /// - Throws: ``DeltaContainerError/invalidMetric(name:reason:)``.
    func metadata() throws -> [String: String] {
        typealias Key = DeltaContainer.MetadataKey
        var metadata = [Key.format: "pt", Key.formatVersion: String(DeltaContainer.formatVersion), Key.round: String(round),
                        Key.baseDigest: baseDigest.hex, Key.sampleCount: String(sampleCount), Key.dtype: encoding.dtype.rawValue]
        guard round >= 0, sampleCount >= 0 else {
            throw DeltaContainerError.invalidHeader(reason: "round \(round) and sample count \(sampleCount) must be ≥ 0")
        }
        if let site { metadata[Key.site] = site }
        for (name, value) in metrics {
            guard Self.isMetricName(name) else {
                throw DeltaContainerError.invalidMetric(name: name, reason: "names are letters, digits, _, . and -")
            }
            guard value.isFinite else { throw DeltaContainerError.invalidMetric(name: name, reason: "value \(value) is not finite") }
            metadata[Key.metricPrefix + name] = "\(value)"
        }
        return metadata
    }

    /// Metric names: non-empty, of letters, digits, `_`, `.` and `-`.
    static func isMetricName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0)) }
    }
}
