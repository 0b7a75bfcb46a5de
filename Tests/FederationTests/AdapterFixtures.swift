@testable import Federation
import Protocols
import Tensor
import TestSupport

/// Small random adapters for the strategy tests: two LoRA modules (`A: [r, 10]`, `B: [12, r]`)
/// and one `modules_to_save` bias `[4]`, values N(0, 0.5²) from a seeded generator; and the
/// direct computations (in Double) each strategy is checked against.
enum AdapterFixtures {
    static let inputs = 10, outputs = 12
    static let modules = ["model.language_model.layers.0.self_attn.q_proj", "model.language_model.layers.0.self_attn.v_proj"]
    static let bias = AdapterTensorName.saved(parameterPath: "model.multi_modal_projector.linear_1.bias").name

    static func loraA(_ module: Int) -> String { AdapterTensorName.loraA(modulePath: modules[module]).name }
    static func loraB(_ module: Int) -> String { AdapterTensorName.loraB(modulePath: modules[module]).name }

    static func tensors(rank: Int, seed: UInt64, deviation: Float = 0.5) -> [NamedTensor] {
        var generator = SeededGenerator(seed: seed)
        func random(_ shape: [Int]) -> [Float] { (0..<shape.reduce(1, *)).map { _ in deviation * generator.normal() } }
        var tensors: [NamedTensor] = []
        for module in modules.indices {
            tensors.append(NamedTensor(name: loraA(module), shape: [rank, inputs], values: random([rank, inputs])))
            tensors.append(NamedTensor(name: loraB(module), shape: [outputs, rank], values: random([outputs, rank])))
        }
        tensors.append(NamedTensor(name: bias, shape: [4], values: random([4])))
        return tensors
    }

    static func adapter(rank: Int = 4, seed: UInt64) throws -> Adapter {
        try Adapter(tensors(rank: rank, seed: seed), owner: "global adapter")
    }

    static func update(_ site: String, samples: Int, rank: Int = 4, seed: UInt64) throws -> SiteUpdate {
        SiteUpdate(site: site, sampleCount: samples, adapter: try Adapter(tensors(rank: rank, seed: seed), owner: site))
    }

    /// Three sites with 10, 30 and 60 samples.
    static func updates(rank: Int = 4) throws -> [SiteUpdate] {
        try [update("site-a", samples: 10, rank: rank, seed: 11), update("site-b", samples: 30, rank: rank, seed: 12),
             update("site-c", samples: 60, rank: rank, seed: 13)]
    }

    /// `update` with tensor `name` changed by `change`.
    static func changing(_ update: SiteUpdate, tensor name: String, _ change: (inout [Float]) -> Void) throws -> SiteUpdate {
        let tensors = update.adapter.tensors.map { tensor -> NamedTensor in
            guard tensor.name == name else { return tensor }
            var values = tensor.values
            change(&values)
            return NamedTensor(name: tensor.name, shape: tensor.shape, values: values)
        }
        return SiteUpdate(site: update.site, sampleCount: update.sampleCount, adapter: try Adapter(tensors, owner: update.site))
    }

    /// `update` without the tensors for which `drop` is true.
    static func dropping(_ update: SiteUpdate, where drop: (String) -> Bool) throws -> SiteUpdate {
        SiteUpdate(site: update.site, sampleCount: update.sampleCount,
                   adapter: try Adapter(update.adapter.tensors.filter { !drop($0.name) }, owner: update.site))
    }

    /// `Σ nᵢ xᵢ / Σ n` of tensor `name`, in Double.
    static func weightedMean(_ name: String, _ updates: [SiteUpdate]) -> [Double] {
        let total = Double(updates.reduce(0) { $0 + $1.sampleCount })
        let count = updates[0].adapter[name]?.values.count ?? 0
        return (0..<count).map { j in
            updates.reduce(0.0) { $0 + Double($1.sampleCount) * Double($1.adapter[name]?.values[j] ?? .nan) } / total
        }
    }

    /// The largest `|a − b|` (+∞ for arrays of other lengths, empty ones or a NaN).
    static func maximumDifference(_ a: [Float], _ b: [Double]) -> Double {
        largestDifference(a, b)
    }

    /// `C = A · B` of row-major Double matrices `A: (m, k)`, `B: (k, n)`.
    static func product(_ a: [Double], _ b: [Double], m: Int, k: Int, n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k where a[i * k + p] != 0 {
                for j in 0..<n { c[i * n + j] += a[i * k + p] * b[p * n + j] }
            }
        }
        return c
    }
}
