import Foundation

/// A counter-based random number generator, Philox4x32-10 (Salmon et al., "Parallel random numbers:
/// as easy as 1, 2, 3", SC 2011), the generator PyTorch and JAX use on accelerators.
///
/// Block `i` of stream `s` is `Philox(key: seed, counter: (i, s))`: four 32-bit words that depend
/// only on (seed, stream, i), so the same seed gives the same bits on every run, machine and thread
/// count, and a checkpoint needs only the ``State``. Streams derive independent generators from one
/// seed (per site, per round, per purpose) without coordination.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    /// Everything needed to continue the sequence exactly (saved in training checkpoints).
    public struct State: Codable, Equatable, Sendable {
        public var seed: UInt64
        public var stream: UInt64
        /// The next block to compute.
        public var block: UInt64
        /// How many words of the current block (`block − 1`) are already used; 4 = none left.
        public var used: Int
    }

    public private(set) var state: State
    private var words: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)

    /// A generator for `seed`, optionally on a separate `stream`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        state = State(seed: seed, stream: stream, block: 0, used: 4)
    }

    /// A generator that continues from a saved state.
    public init(state: State) {
        self.state = state
        if state.used < 4 {
            words = Self.philox(block: state.block &- 1, stream: state.stream, seed: state.seed)
        }
    }

    /// The next 32 random bits.
    public mutating func nextWord() -> UInt32 {
        if state.used == 4 {
            words = Self.philox(block: state.block, stream: state.stream, seed: state.seed)
            state.block &+= 1
            state.used = 0
        }
        defer { state.used += 1 }
        switch state.used {
        case 0: return words.0
        case 1: return words.1
        case 2: return words.2
        default: return words.3
        }
    }

    /// The next 64 random bits (two words).
    public mutating func next() -> UInt64 {
        UInt64(nextWord()) << 32 | UInt64(nextWord())
    }

    /// A uniform float in `[0, 1)` with 24 random bits.
    public mutating func uniform() -> Float {
        Float(nextWord() >> 8) * 0x1p-24
    }

    /// A uniform float in `(0, 1]`: safe under `log`.
    public mutating func uniformPositive() -> Float {
        Float((nextWord() >> 8) + 1) * 0x1p-24
    }

    /// A standard normal sample (Box–Muller, both uniforms drawn fresh each call).
    public mutating func normal() -> Float {
        let radius = (-2 * Foundation.log(uniformPositive())).squareRoot()
        return radius * Foundation.cos(2 * Float.pi * uniform())
    }

    /// A Gumbel(location, scale) sample: `location − scale · log(−log u)`.
    public mutating func gumbel(location: Float = 0, scale: Float = 1) -> Float {
        // u in (0, 1): −log u > 0, so the outer log is finite.
        let u = Swift.min(uniformPositive(), 1 - 0x1p-24)
        return location - scale * Foundation.log(-Foundation.log(u))
    }

    /// A Gamma(shape, 1) sample (Marsaglia & Tsang 2000; for shape < 1, boosted by `u^(1/shape)`).
    /// - Precondition: `shape > 0`.
    public mutating func gamma(shape: Float) -> Float {
        precondition(shape > 0, "gamma: shape \(shape) must be positive")
        if shape < 1 {
            return gamma(shape: shape + 1) * Foundation.pow(uniformPositive(), 1 / shape)
        }
        let d = shape - 1 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = normal()
            let v = (1 + c * x) * (1 + c * x) * (1 + c * x)
            guard v > 0 else { continue }
            let u = uniformPositive()
            if Foundation.log(u) < 0.5 * x * x + d - d * v + d * Foundation.log(v) {
                return d * v
            }
        }
    }

    /// Philox4x32 with 10 rounds on counter `(block, stream)` and key `seed`.
    static func philox(block: UInt64, stream: UInt64, seed: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        var c0 = UInt32(truncatingIfNeeded: block), c1 = UInt32(truncatingIfNeeded: block >> 32)
        var c2 = UInt32(truncatingIfNeeded: stream), c3 = UInt32(truncatingIfNeeded: stream >> 32)
        var k0 = UInt32(truncatingIfNeeded: seed), k1 = UInt32(truncatingIfNeeded: seed >> 32)
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let product0 = UInt64(0xD251_1F53) * UInt64(c0)
            let product1 = UInt64(0xCD9E_8D57) * UInt64(c2)
            let (hi0, lo0) = (UInt32(product0 >> 32), UInt32(truncatingIfNeeded: product0))
            let (hi1, lo1) = (UInt32(product1 >> 32), UInt32(truncatingIfNeeded: product1))
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }
}
