import Foundation
import Security
import Tensor

/// The container part of `tessera bench transport`: size and speed of delta containers on a
/// realistic LoRA update, each figure beside a baseline from the same run.
///
/// The update: `layers` decoder layers × {q_proj, v_proj} of width `width`, rank `rank`,
/// `A: [r, width]` with N(0, 0.02²) and `B: [width, r]` with N(0, 0.001²) values (a trained
/// step's magnitudes), from a seeded generator. Sizes are compared with the canonical fp32
/// safetensors bytes (`raw`); speeds are raw bytes per second on one core (the caller's thread),
/// the median of `repetitions` runs after one warm-up, against `memcpy` of the raw bytes.
public enum ContainerBenchmark {
    /// One run's figures.
    public struct Result: Sendable {
        public let tensorCount: Int
        /// Canonical fp32 safetensors bytes of the update.
        public let rawBytes: Int
        public let fp32ContainerBytes: Int
        public let bf16ContainerBytes: Int
        /// Median seconds per operation.
        public let fp32EncodeSeconds: Double
        public let fp32DecodeSeconds: Double
        public let bf16EncodeSeconds: Double
        public let bf16DecodeSeconds: Double
        public let memcpySeconds: Double

        /// Container bytes / raw fp32 bytes (targets: ≤ 0.86 lossless, ≤ 0.37 bf16).
        public var fp32Ratio: Double { Double(fp32ContainerBytes) / Double(rawBytes) }
        public var bf16Ratio: Double { Double(bf16ContainerBytes) / Double(rawBytes) }

        /// Raw megabytes (10⁶ bytes) per second for an operation taking `seconds`.
        public func megabytesPerSecond(_ seconds: Double) -> Double { Double(rawBytes) / seconds / 1e6 }
    }

    /// Builds the update, then measures sizes and speeds.
    /// - Parameters:
    ///   - layers: decoder layers adapted (q_proj and v_proj each).
    ///   - width: the model width (`in = out`).
    ///   - rank: the LoRA rank r.
    ///   - repetitions: timed runs per figure (the median is kept).
    /// - Throws: ``DeltaContainerError`` (a bug if it happens: the input is well formed).
    public static func run(layers: Int = 8, width: Int = 2048, rank: Int = 16, repetitions: Int = 7) throws -> Result {
        var generator = SeededGenerator(seed: 16)
        var tensors: [NamedTensor] = []
        var specs: [TensorSpec] = []
        for layer in 0..<layers {
            for projection in ["q_proj", "v_proj"] {
                let module = "model.language_model.layers.\(layer).self_attn.\(projection)"
                for (name, shape, deviation) in [(AdapterTensorName.loraA(modulePath: module).name, [rank, width], Float(0.02)),
                                                 (AdapterTensorName.loraB(modulePath: module).name, [width, rank], Float(0.001))] {
                    let values = (0..<(rank * width)).map { _ in deviation * generator.normal() }
                    tensors.append(NamedTensor(name: name, shape: shape, values: values))
                    specs.append(TensorSpec(name: name, shape: shape, dtype: .F32))
                }
            }
        }
        let digest = try SHA256.hash([UInt8]())
        func container(_ encoding: WireEncoding) -> DeltaContainer {
            DeltaContainer(header: .init(round: 1, site: "bench", baseDigest: digest, sampleCount: 1000, encoding: encoding,
                                         metrics: ["loss": 1.5]), tensors: tensors)
        }
        let fp32 = container(.fp32)
        let bf16 = container(.bf16)
        let raw = try fp32.canonicalBytes()
        let fp32Encoded = try fp32.encoded()
        let bf16Encoded = try bf16.encoded()
        func expectation(_ encoding: WireEncoding) -> DeltaContainer.Expectation {
            DeltaContainer.Expectation(maximumDecompressedBytes: DeltaContainer.Expectation.maximumCanonicalBytes(for: specs),
                                       tensors: specs.map { TensorSpec(name: $0.name, shape: $0.shape, dtype: encoding.dtype) })
        }
        var copy = [UInt8](repeating: 0, count: raw.count)
        return Result(
            tensorCount: tensors.count, rawBytes: raw.count,
            fp32ContainerBytes: fp32Encoded.bytes.count, bf16ContainerBytes: bf16Encoded.bytes.count,
            fp32EncodeSeconds: try median(repetitions) { _ = try fp32.encoded() },
            fp32DecodeSeconds: try median(repetitions) { _ = try DeltaContainer.decode(fp32Encoded.bytes, source: "bench", expecting: expectation(.fp32)) },
            bf16EncodeSeconds: try median(repetitions) { _ = try bf16.encoded() },
            bf16DecodeSeconds: try median(repetitions) { _ = try DeltaContainer.decode(bf16Encoded.bytes, source: "bench", expecting: expectation(.bf16)) },
            memcpySeconds: try median(repetitions) {
                copy.withUnsafeMutableBytes { target in raw.withUnsafeBytes { target.copyMemory(from: $0) } }
            })
    }

    /// The median seconds of `count` runs of `body` after one warm-up run.
    private static func median(_ count: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        var seconds: [Double] = []
        for _ in 0..<max(count, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return seconds.sorted()[seconds.count / 2]
    }
}
