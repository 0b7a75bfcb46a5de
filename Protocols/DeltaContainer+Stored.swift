import Foundation
import Tensor

extension DeltaContainer {
    /// A stored container opened for aggregation: decompressed into a reusable buffer, its
    /// safetensors structure, header metadata and tensor table checked, and its values read chunk
    /// by chunk straight from the byte planes (layer 2), with no full decode.
    ///
    /// It is for containers that were decoded in full when they were received
    /// (``decode(_:source:expecting:)`` at intake) and stored by digest: it does not recompute the
    /// SHA-256 digest nor re-encode to check canonical form (the two costliest steps of a full
    /// decode). zstd's XXH64 content checksum still catches any change to the stored bytes, and
    /// everything the values are read through (structure, dtype, header, expected tensors) is
    /// checked again. Finiteness is offered as ``firstNonFiniteValue()``, a scan of the exponent
    /// bytes only.
    public struct Stored: Sendable {
        public let source: String
        public let header: Header
        /// The tensors in name order (the order of the data region).
        public let tensors: [TensorSpec]
        /// The first element of each tensor within the data region, same order as `tensors`.
        private let elementOffsets: [Int]
        private let positions: [String: Int]
        /// Where the data region starts in `stream`, and its element count n.
        private let dataStart: Int
        private let elementCount: Int
        private let width: Int
        /// Layer 2: length, header, then `width` byte planes of n bytes each.
        private let stream: [UInt8]

        /// Elements unshuffled per chunk: 4096 float32 (16 KiB) stay in L1 while the caller uses them.
        public static let chunkElements = 4096

        /// Decompresses and checks a stored container.
        /// - Parameters:
        ///   - bytes: the zstd frame.
        ///   - source: its name in errors (a path).
        ///   - maximumDecompressedBytes: the most the canonical bytes may have (see
        ///     ``Expectation/maximumCanonicalBytes(for:)``).
        ///   - tensors: exactly these tensors (names, shapes, dtypes), or nil for any.
        ///   - storage: a buffer to decompress into, taken (left empty) and reused when large
        ///     enough; hand it back with ``storage`` after use (`storage = (consume stored).storage`).
        /// - Throws: ``DeltaContainerError``: the zstd cases, `malformed`, `missingMetadata`,
        ///   `invalidMetadata`, `unexpectedMetadata`, `dtypeMismatch`, `missingTensor`,
        ///   `unexpectedTensor`, `shapeMismatch`.
        public static func open(_ bytes: some ContiguousBytes, source: String, maximumDecompressedBytes: Int,
                                tensors specs: [TensorSpec]?, reusing storage: inout [UInt8]) throws -> Stored {
            var stream = storage
            storage = []
            try bytes.withUnsafeBytes { compressed in
                try Zstd.decompress(compressed, limit: maximumDecompressedBytes, source: source, into: &stream)
            }
            let dataStart = headerEnd(stream)
            // The header is not shuffled and shuffling keeps every length, so the layer-2 stream
            // parses as a safetensors file; read it in place (no copy), the mapping ending here.
            let (header, infos) = try stream.withUnsafeMutableBytes { raw -> (Header, [(String, SafetensorsFile.Info)]) in
                guard let base = raw.baseAddress else { throw DeltaContainerError.notZstd(file: source, reason: "the content is empty") }
                let file = try safetensors(Data(bytesNoCopy: base, count: raw.count, deallocator: .none), source: source)
                let header = try Header(metadata: file.metadata, source: source)
                for name in file.names {
                    let found = try file.info(name).dtype
                    guard found == header.encoding.dtype.safetensors else {
                        throw DeltaContainerError.dtypeMismatch(file: source, tensor: name, found: found.rawValue,
                                                                expected: "\(header.encoding.dtype.rawValue) (the container's tessera.dtype)")
                    }
                }
                if let specs { try check(file, against: specs, source: source) }
                return (header, try file.names.map { ($0, try file.info($0)) })
            }
            let width = header.encoding.dtype.byteCount
            return Stored(source: source, header: header,
                          tensors: infos.map { TensorSpec(name: $0.0, shape: $0.1.shape, dtype: header.encoding.dtype) },
                          elementOffsets: infos.map { $0.1.range.lowerBound / width },
                          positions: Dictionary(uniqueKeysWithValues: infos.enumerated().map { ($0.element.0, $0.offset) }),
                          dataStart: dataStart, elementCount: (stream.count - dataStart) / width, width: width, stream: stream)
        }

        /// The decompressed buffer, for the next ``open(_:source:maximumDecompressedBytes:tensors:reusing:)``.
        public var storage: [UInt8] { stream }

        /// The shape of tensor `name`, or nil when the container has no such tensor.
        public func shape(ofTensor name: String) -> [Int]? {
            positions[name].map { tensors[$0].shape }
        }

        /// The first NaN or ±Inf in name order, from the exponent bits alone: for element i, the
        /// top byte `h` (plane w−1) and the next `l` (plane w−2) give the exponent
        /// `e = (h << 1) | (l >> 7)` (8 bits, for F32 and BF16 alike); non-finite ⇔ `e = 0xFF`.
        public func firstNonFiniteValue() -> (tensor: String, index: Int, value: Float)? {
            stream.withUnsafeBytes { raw in
                let high = raw.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + dataStart + (width - 1) * elementCount }
                let low = raw.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + dataStart + (width - 2) * elementCount }
                guard let high, let low else { return nil }
                for (position, spec) in tensors.enumerated() {
                    let start = elementOffsets[position], end = start + spec.elementCount
                    var largest: UInt8 = 0
                    for i in start..<end { largest = max(largest, (high[i] &<< 1) | (low[i] &>> 7)) }
                    guard largest == 0xFF else { continue }
                    for i in start..<end where (high[i] &<< 1) | (low[i] &>> 7) == 0xFF {
                        return (spec.name, i - start, value(at: i, raw))
                    }
                }
                return nil
            }
        }

        /// Calls `body` with consecutive chunks of at most ``chunkElements`` values of tensor
        /// `name` (unshuffled into float32) and each chunk's element offset; nothing for an
        /// unknown name.
        public func forEachChunk(ofTensor name: String, _ body: (_ offset: Int, _ values: UnsafeBufferPointer<Float>) throws -> Void) rethrows {
            guard let position = positions[name] else { return }
            let start = elementOffsets[position], count = tensors[position].elementCount
            var chunk = [Float](repeating: 0, count: min(Self.chunkElements, count))
            try stream.withUnsafeBytes { raw in
                guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
                let planes = base + dataStart
                try chunk.withUnsafeMutableBufferPointer { chunk in
                    for offset in stride(from: 0, to: count, by: Self.chunkElements) {
                        let length = min(Self.chunkElements, count - offset)
                        let first = start + offset
                        if width == 4 {
                            let (p0, p1, p2, p3) = (planes + first, planes + elementCount + first,
                                                    planes + 2 * elementCount + first, planes + 3 * elementCount + first)
                            for i in 0..<length {
                                chunk[i] = Float(bitPattern: UInt32(p0[i]) | UInt32(p1[i]) << 8 | UInt32(p2[i]) << 16 | UInt32(p3[i]) << 24)
                            }
                        } else {
                            let (p0, p1) = (planes + first, planes + elementCount + first)
                            for i in 0..<length { chunk[i] = Float(bitPattern: UInt32(p0[i]) << 16 | UInt32(p1[i]) << 24) }
                        }
                        try body(offset, UnsafeBufferPointer(rebasing: chunk[0..<length]))
                    }
                }
            }
        }

        /// Element `i` of the data region as float32.
        private func value(at i: Int, _ raw: UnsafeRawBufferPointer) -> Float {
            var bits: UInt32 = 0
            for k in 0..<width { bits |= UInt32(raw[dataStart + k * elementCount + i]) << (8 * (k + 4 - width)) }
            return Float(bitPattern: bits)
        }
    }
}
