import Foundation
@testable import Tensor
import TestSupport
import Testing

struct AttentionTests {
    /// Attention written out per query in Double with explicit masks: the independent reference.
    static func naiveAttention(q: Tensor, k: Tensor, v: Tensor, heads: Int, keyValueHeads: Int,
                               causal: Bool, keyMask: [Bool]?) -> [Float] {
        let (n, t, s) = (q.shape[0], q.shape[1], k.shape[1])
        let d = q.shape[2] / heads
        var output = [Float](repeating: 0, count: q.count)
        for batch in 0..<n {
            for h in 0..<heads {
                let kvHead = h / (heads / keyValueHeads)
                for query in 0..<t {
                    var scores: [Double] = []
                    var allowed: [Bool] = []
                    for key in 0..<s {
                        var dot = 0.0
                        for i in 0..<d {
                            dot += Double(q.values[(batch * t + query) * heads * d + h * d + i])
                                * Double(k.values[(batch * s + key) * keyValueHeads * d + kvHead * d + i])
                        }
                        scores.append(dot / Double(d).squareRoot())
                        allowed.append((!causal || key <= query + s - t) && (keyMask?[batch * s + key] ?? true))
                    }
                    guard let maximum = zip(scores, allowed).filter(\.1).map(\.0).max() else { continue }
                    let weights = zip(scores, allowed).map { $1 ? exp($0 - maximum) : 0 }
                    let total = weights.reduce(0, +)
                    for i in 0..<d {
                        var sum = 0.0
                        for key in 0..<s {
                            sum += weights[key] / total * Double(v.values[(batch * s + key) * keyValueHeads * d + kvHead * d + i])
                        }
                        output[(batch * t + query) * heads * d + h * d + i] = Float(sum)
                    }
                }
            }
        }
        return output
    }

    /// How the work is split: ``Attention/Geometry/gemmWorkLimit`` set so that each GEMM covers
    /// all queries (the default on these sizes), two query rows (many blocks, causal blocks that
    /// skip keys), or less than one row (the serial path long contexts take).
    enum Split: String, CaseIterable, Sendable {
        case whole, twoRowBlocks, serial

        func gemmWorkLimit(keys: Int, headSize: Int) -> Int {
            switch self {
            case .whole: MatMul.singleThreadedWork
            case .twoRowBlocks: 2 * keys * headSize
            case .serial: keys * headSize - 1
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let queries: Int, keys: Int, heads: Int, keyValueHeads: Int, causal: Bool, masked: Bool
        var split = Split.whole
        var testDescription: String { "T=\(queries) S=\(keys) H=\(heads) Hkv=\(keyValueHeads) causal=\(causal) masked=\(masked) \(split)" }

        func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: [Bool]?) -> Tensor {
            q.attention(keys: k, values: v, heads: heads, keyValueHeads: keyValueHeads, causal: causal, keyMask: mask,
                        gemmWorkLimit: split.gemmWorkLimit(keys: keys, headSize: q.shape[2] / heads))
        }
    }

    static let shapes: [Case] = [
        Case(queries: 5, keys: 5, heads: 2, keyValueHeads: 2, causal: false, masked: false),
        Case(queries: 5, keys: 5, heads: 4, keyValueHeads: 2, causal: true, masked: false),
        Case(queries: 4, keys: 4, heads: 2, keyValueHeads: 1, causal: true, masked: true),
        // A KV cache: 2 new queries attend to 6 keys, the last 2 of them their own.
        Case(queries: 2, keys: 6, heads: 2, keyValueHeads: 2, causal: true, masked: false),
        // Blocks of 2 of 5 queries see 4 of 6 keys, then 6, then 6 (the last block a single row).
        Case(queries: 5, keys: 6, heads: 4, keyValueHeads: 2, causal: true, masked: true),
    ]

    static let cases: [Case] = shapes.flatMap { shape in
        Split.allCases.map { split in
            var c = shape
            c.split = split
            return c
        }
    }

    static func inputs(_ c: Case, headSize: Int = 3) -> (q: Tensor, k: Tensor, v: Tensor, mask: [Bool]?) {
        let q = GradientCheck.random([2, c.queries, c.heads * headSize], seed: 70)
        let k = GradientCheck.random([2, c.keys, c.keyValueHeads * headSize], seed: 71)
        let v = GradientCheck.random([2, c.keys, c.keyValueHeads * headSize], seed: 72)
        // Padding: the second sequence's last key is not real; the first query of a fully padded
        // row exercises the "sees no key" rule when causal.
        let mask: [Bool]? = c.masked ? (0..<(2 * c.keys)).map { $0 != 2 * c.keys - 1 && $0 != c.keys } : nil
        return (q, k, v, mask)
    }

    @Test(arguments: cases)
    func attentionMatchesNaiveReference(_ c: Case) {
        let (q, k, v, mask) = Self.inputs(c)
        let y = c.attention(q, k, v, mask: mask)
        expectClose(y.values, Self.naiveAttention(q: q, k: k, v: v, heads: c.heads, keyValueHeads: c.keyValueHeads,
                                                  causal: c.causal, keyMask: mask), tolerance: 1e-5)
    }

    @Test(arguments: cases)
    func attentionGradientsMatchFiniteDifferences(_ c: Case) {
        let (q, k, v, mask) = Self.inputs(c)
        expectGradientsMatch("attention \(c.testDescription)", GradientCheck.check([q, k, v]) {
            c.attention($0[0], $0[1], $0[2], mask: mask)
        })
    }

    /// At the small preset's attention (S = 128, D = 64) the default split makes blocks of 32
    /// query rows; outputs and gradients agree with one block per GEMM taken serially.
    @Test func defaultBlocksAgreeWithSerialAttentionAtModelSizes() {
        let (n, t, heads, headSize) = (2, 128, 2, 64)
        let geometry = Attention.Geometry(sequences: n, queries: t, keys: t, heads: heads, keyValueHeads: heads,
                                          headSize: headSize, causal: true, gemmWorkLimit: MatMul.singleThreadedWork)
        #expect(geometry.tasksRunInParallel && geometry.queryBlock == 32)
        func run(_ limit: Int) -> [[Float]] {
            let q = GradientCheck.random([n, t, heads * headSize], seed: 80)
            let k = GradientCheck.random([n, t, heads * headSize], seed: 81)
            let v = GradientCheck.random([n, t, heads * headSize], seed: 82)
            let dy = GradientCheck.random([n, t, heads * headSize], seed: 83)
            for x in [q, k, v] { x.requiresGradient = true }
            let y = q.attention(keys: k, values: v, heads: heads, keyValueHeads: heads, causal: true, keyMask: nil, gemmWorkLimit: limit)
            (y * dy).sum().backward()
            return [y.values, q.grad ?? [], k.grad ?? [], v.grad ?? []]
        }
        for (blocked, serial) in zip(run(MatMul.singleThreadedWork), run(t * headSize - 1)) {
            expectClose(blocked, serial, tolerance: 1e-5)
        }
    }
}
