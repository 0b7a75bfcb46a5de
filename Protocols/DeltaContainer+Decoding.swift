import Foundation
import Security
import Tensor

extension DeltaContainer {
    /// What a decoder requires of a container beyond being well formed; nil fields are not checked.
    public struct Expectation: Sendable {
        /// The most bytes the canonical safetensors bytes may have; a frame declaring more is
        /// refused before anything is decompressed.
        public var maximumDecompressedBytes: Int
        public var digest: SHA256.Digest?
        /// Exactly these tensors (names, shapes, dtypes), in any order.
        public var tensors: [TensorSpec]?
        public var round: Int?
        public var site: String?
        public var baseDigest: SHA256.Digest?
        public var sampleCount: Int?
        public var encoding: WireEncoding?

        public init(maximumDecompressedBytes: Int, digest: SHA256.Digest? = nil, tensors: [TensorSpec]? = nil, round: Int? = nil,
                    site: String? = nil, baseDigest: SHA256.Digest? = nil, sampleCount: Int? = nil, encoding: WireEncoding? = nil) {
            self.maximumDecompressedBytes = maximumDecompressedBytes
            self.digest = digest
            self.tensors = tensors
            self.round = round
            self.site = site
            self.baseDigest = baseDigest
            self.sampleCount = sampleCount
            self.encoding = encoding
        }

        /// A site's upload to round `round` of a plan: the plan's upload tensors and encoding, the
        /// round's base, and the digest and sample count the site declared in its headers.
        public static func upload(plan: TrainingPlan, round: Int, site: String, baseDigest: SHA256.Digest,
                                  metadata: UploadMetadata) -> Expectation {
            Expectation(maximumDecompressedBytes: maximumCanonicalBytes(for: plan.tensors.upload), digest: metadata.digest,
                        tensors: plan.tensors.upload, round: round, site: site, baseDigest: baseDigest,
                        sampleCount: metadata.sampleCount, encoding: plan.wire.encoding)
        }

        /// A global adapter of a plan (fp32, the plan's global tensors), fetched by the digest its round announced.
        public static func globalAdapter(plan: TrainingPlan, baseDigest: SHA256.Digest, digest: SHA256.Digest) -> Expectation {
            Expectation(maximumDecompressedBytes: maximumCanonicalBytes(for: plan.tensors.global), digest: digest,
                        tensors: plan.tensors.global, baseDigest: baseDigest, encoding: .fp32)
        }

        /// An upper bound on the canonical bytes of a container of `specs`: their data, plus
        /// 64 KiB of header metadata and 256 bytes of header per tensor beyond its name.
        public static func maximumCanonicalBytes(for specs: [TensorSpec]) -> Int {
            specs.reduce(8 + 65_536) { $0 + $1.byteCount + 256 + $1.name.utf8.count }
        }
    }

    /// A decoded container with its digest.
    public struct Decoded: Equatable, Sendable {
        public var container: DeltaContainer
        /// SHA-256 of the canonical safetensors bytes.
        public var digest: SHA256.Digest
        public var canonicalByteCount: Int
    }

    /// Reads a container: zstd (streamed, size-capped), unshuffle, digest, safetensors structure,
    /// canonical form, header metadata, the expected tensors, finiteness.
    ///
    /// - Parameters:
    ///   - bytes: the zstd frame.
    ///   - source: the container's name in errors (a path, "upload from site-a, round 3").
    ///   - expectation: limits and the values the container must have.
    /// - Throws: ``DeltaContainerError`` (every failure of the input); `SecurityError` only when
    ///   OpenSSL cannot hash.
    public static func decode(_ bytes: some ContiguousBytes, source: String, expecting expectation: Expectation) throws -> Decoded {
        let stream = try bytes.withUnsafeBytes { compressed in
            try Zstd.decompress(compressed, limit: expectation.maximumDecompressedBytes, source: source)
        }
        // The length prefix and header are not shuffled: parsing the stream checks the structure
        // (shuffling keeps every length) and gives the dtype, hence the plane count.
        let shuffledFile = try safetensors(Data(stream), source: source)
        guard let dtypeName = shuffledFile.metadata[MetadataKey.dtype] else {
            throw DeltaContainerError.missingMetadata(file: source, key: MetadataKey.dtype)
        }
        guard let dtype = TensorDType(rawValue: dtypeName) else {
            throw DeltaContainerError.invalidMetadata(file: source, key: MetadataKey.dtype, value: dtypeName, expected: "F32 or BF16")
        }
        for name in shuffledFile.names {
            let found = try shuffledFile.info(name).dtype
            guard found == dtype.safetensors else {
                throw DeltaContainerError.dtypeMismatch(file: source, tensor: name, found: found.rawValue,
                                                        expected: "\(dtype.rawValue) (the container's tessera.dtype)")
            }
        }
        var canonical = stream
        let dataStart = headerEnd(stream)
        stream.withUnsafeBytes { source in
            canonical.withUnsafeMutableBytes { target in
                ByteShuffle.unshuffle(UnsafeRawBufferPointer(rebasing: source[dataStart...]), width: dtype.byteCount,
                                      into: UnsafeMutableRawBufferPointer(rebasing: target[dataStart...]))
            }
        }
        let digest = try SHA256.hash(canonical)
        if let expected = expectation.digest, expected != digest {
            throw DeltaContainerError.digestMismatch(file: source, found: digest, expected: expected)
        }

        let file = try safetensors(Data(canonical), source: source)
        let header = try Header(metadata: file.metadata, source: source)
        try header.check(against: expectation, source: source)
        let canonicalEntries = try file.names.map { name in
            let info = try file.info(name)
            return Safetensors.Entry(name: name, dtype: info.dtype, shape: info.shape, bytes: try file.bytes(name))
        }
        guard Safetensors.encode(canonicalEntries, metadata: file.metadata) == canonical else {
            throw DeltaContainerError.notCanonical(file: source)
        }
        if let specs = expectation.tensors { try check(file, against: specs, source: source) }
        let tensors = try file.names.map { name in
            let values = try file.floats(name)
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw DeltaContainerError.nonFiniteValue(file: source, tensor: name, index: index, value: values[index])
            }
            return NamedTensor(name: name, shape: try file.info(name).shape, values: values)
        }
        return Decoded(container: DeltaContainer(header: header, tensors: tensors), digest: digest, canonicalByteCount: canonical.count)
    }

    static func safetensors(_ data: Data, source: String) throws -> SafetensorsFile {
        do {
            return try SafetensorsFile(data: data, source: source)
        } catch let error as SafetensorsError {
            throw DeltaContainerError.malformed(error)
        }
    }

    /// The tensors are exactly `specs`: reports the first missing tensor in name order, then the
    /// first unexpected one, then shape and dtype.
    static func check(_ file: SafetensorsFile, against specs: [TensorSpec], source: String) throws {
        for spec in specs.canonicallyOrdered {
            guard let info = file.tensors[spec.name] else { throw DeltaContainerError.missingTensor(file: source, tensor: spec.name) }
            guard info.shape == spec.shape else {
                throw DeltaContainerError.shapeMismatch(file: source, tensor: spec.name, found: info.shape, expected: spec.shape)
            }
            guard info.dtype == spec.dtype.safetensors else {
                throw DeltaContainerError.dtypeMismatch(file: source, tensor: spec.name, found: info.dtype.rawValue, expected: spec.dtype.rawValue)
            }
        }
        let expected = Set(specs.map(\.name))
        if let extra = file.names.first(where: { !expected.contains($0) }) {
            throw DeltaContainerError.unexpectedTensor(file: source, tensor: extra)
        }
    }
}

extension DeltaContainer.Header {
    /// The header from `__metadata__`, every key checked, unknown keys refused, values in the
    /// exact form ``metadata()`` writes.
    init(metadata: [String: String], source: String) throws {
        typealias Key = DeltaContainer.MetadataKey
        func value(_ key: String) throws -> String {
            guard let value = metadata[key] else { throw DeltaContainerError.missingMetadata(file: source, key: key) }
            return value
        }
        func integer(_ key: String) throws -> Int {
            let text = try value(key)
            guard let number = Int(text), number >= 0, String(number) == text else {
                throw DeltaContainerError.invalidMetadata(file: source, key: key, value: text, expected: "a decimal integer ≥ 0")
            }
            return number
        }
        guard try value(Key.format) == "pt" else {
            throw DeltaContainerError.invalidMetadata(file: source, key: Key.format, value: try value(Key.format), expected: "pt")
        }
        let version = try value(Key.formatVersion)
        guard version == String(DeltaContainer.formatVersion) else {
            throw DeltaContainerError.invalidMetadata(file: source, key: Key.formatVersion, value: version,
                                                      expected: "\(DeltaContainer.formatVersion) (this build's container format)")
        }
        let digestText = try value(Key.baseDigest)
        guard let baseDigest = try? SHA256.Digest(hex: digestText), baseDigest.hex == digestText else {
            // `try?`: any failure is the same answer, the value is not 64 lowercase hex digits.
            throw DeltaContainerError.invalidMetadata(file: source, key: Key.baseDigest, value: digestText, expected: "64 lowercase hexadecimal digits")
        }
        let dtypeText = try value(Key.dtype)
        guard let dtype = TensorDType(rawValue: dtypeText) else {
            throw DeltaContainerError.invalidMetadata(file: source, key: Key.dtype, value: dtypeText, expected: "F32 or BF16")
        }
        var metrics: [String: Double] = [:]
        for (key, text) in metadata where key.hasPrefix(Key.metricPrefix) {
            guard Self.isMetricName(String(key.dropFirst(Key.metricPrefix.count))) else {
                throw DeltaContainerError.unexpectedMetadata(file: source, key: key)
            }
            guard let number = Double(text), number.isFinite, "\(number)" == text else {
                throw DeltaContainerError.invalidMetadata(file: source, key: key, value: text, expected: "a finite number in shortest form")
            }
            metrics[String(key.dropFirst(Key.metricPrefix.count))] = number
        }
        self.init(round: try integer(Key.round), site: metadata[Key.site], baseDigest: baseDigest, sampleCount: try integer(Key.sampleCount),
                  encoding: WireEncoding(dtype: dtype), metrics: metrics)
        let known = try self.metadata()
        if let unknown = metadata.keys.sorted().first(where: { known[$0] == nil }) {
            throw DeltaContainerError.unexpectedMetadata(file: source, key: unknown)
        }
    }

    /// Compares the header with what the decoder expects.
    func check(against expectation: DeltaContainer.Expectation, source: String) throws {
        typealias Key = DeltaContainer.MetadataKey
        func require(_ field: String, _ found: String?, _ expected: String?) throws {
            guard let expected, found != expected else { return }
            throw DeltaContainerError.headerMismatch(file: source, field: field, found: found ?? "absent", expected: expected)
        }
        try require(Key.round, String(round), expectation.round.map(String.init))
        try require(Key.site, site, expectation.site)
        try require(Key.baseDigest, baseDigest.hex, expectation.baseDigest?.hex)
        try require(Key.sampleCount, String(sampleCount), expectation.sampleCount.map(String.init))
        try require(Key.dtype, encoding.dtype.rawValue, expectation.encoding?.dtype.rawValue)
    }
}
