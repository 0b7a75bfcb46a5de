@testable import Federation
import Protocols
import Tensor
import Testing
import TestSupport

struct SVDMergeTests {
    static let alpha = 8.0

    /// Sites of ranks 2, 3 and 4 (R = 9 < in = 10 < out = 12).
    static func mixedRankUpdates() throws -> [SiteUpdate] {
        try [AdapterFixtures.update("site-a", samples: 10, rank: 2, seed: 31), AdapterFixtures.update("site-b", samples: 30, rank: 3, seed: 32),
             AdapterFixtures.update("site-c", samples: 60, rank: 4, seed: 33)]
    }

    /// `ΔW = Σ wᵢ sᵢ Bᵢ Aᵢ: (out, in)` of one module, dense, in Double.
    static func denseChange(_ updates: [SiteUpdate], module: Int, merge: SVDMerge) -> [Double] {
        let total = Double(updates.reduce(0) { $0 + $1.sampleCount })
        var change = [Double](repeating: 0, count: AdapterFixtures.outputs * AdapterFixtures.inputs)
        for update in updates {
            guard let a = update.adapter[AdapterFixtures.loraA(module)], let b = update.adapter[AdapterFixtures.loraB(module)] else { continue }
            let r = a.shape[0]
            let product = AdapterFixtures.product(b.values.map(Double.init), a.values.map(Double.init),
                                                  m: AdapterFixtures.outputs, k: r, n: AdapterFixtures.inputs)
            let coefficient = Double(update.sampleCount) / total * merge.scale(rank: r)
            for j in change.indices { change[j] += coefficient * product[j] }
        }
        return change
    }

    /// The best rank-r approximation of `change` by a dense SVD (LAPACK on the full matrix), and
    /// the Frobenius norm of what it leaves out.
    static func denseTruncation(_ change: [Double], rank r: Int) throws -> (matrix: [Double], error: Double) {
        let (m, n) = (AdapterFixtures.outputs, AdapterFixtures.inputs)
        let (u, sigma, vt) = try LinearAlgebra.svd(Tensor(shape: [m, n], values: change.map(Float.init)))
        let k = sigma.count
        var matrix = [Double](repeating: 0, count: m * n)
        for j in 0..<min(r, k) {
            for row in 0..<m {
                for column in 0..<n {
                    matrix[row * n + column] += Double(u.values[row * k + j]) * Double(sigma.values[j]) * Double(vt.values[j * n + column])
                }
            }
        }
        let error = sigma.values[min(r, k)...].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return (matrix, error)
    }

    /// `s′ B′ A′` of the merged adapter for one module, in Double.
    static func mergedChange(_ adapter: Adapter, module: Int, merge: SVDMerge) throws -> [Double] {
        let a = try #require(adapter[AdapterFixtures.loraA(module)]), b = try #require(adapter[AdapterFixtures.loraB(module)])
        #expect(a.shape == [merge.rank, AdapterFixtures.inputs] && b.shape == [AdapterFixtures.outputs, merge.rank])
        let product = AdapterFixtures.product(b.values.map(Double.init), a.values.map(Double.init),
                                              m: AdapterFixtures.outputs, k: merge.rank, n: AdapterFixtures.inputs)
        return product.map { $0 * merge.scale(rank: merge.rank) }
    }

    /// Rank 4 < R = 9: equal to the dense SVD of `Σ wᵢ sᵢ Bᵢ Aᵢ` truncated to 4 within 1e-4 per
    /// element (float32 QR and SVD of O(1) matrices: errors ≈ 1e-6), and so is the reported error.
    @Test func equalsDenseTruncatedSVD() throws {
        let merge = try SVDMerge(rank: 4, alpha: Self.alpha, useRSLoRA: false)
        let updates = try Self.mixedRankUpdates()
        let result = try merge.aggregate(updates, onto: AdapterFixtures.adapter(rank: 4, seed: 1))
        for module in AdapterFixtures.modules.indices {
            let dense = try Self.denseTruncation(Self.denseChange(updates, module: module, merge: merge), rank: 4)
            let merged = try Self.mergedChange(result.adapter, module: module, merge: merge)
            let difference = largestDifference(merged, dense.matrix)
            let reported = try #require(result.report.truncationErrors[AdapterFixtures.modules[module]])
            print("svd-merge \(AdapterFixtures.modules[module]): max |Δ| = \(difference), error \(reported) vs dense \(dense.error)")
            #expect(difference < 1e-4)
            #expect(abs(reported - dense.error) < 1e-4)
            #expect(reported > 0.1)
        }
    }

    /// Rank ≥ R = Σ rᵢ: nothing is truncated, `s′ B′ A′ = Σ wᵢ sᵢ Bᵢ Aᵢ` (within float32 rounding).
    @Test func exactWhenRankCoversAllSites() throws {
        let merge = try SVDMerge(rank: 9, alpha: Self.alpha, useRSLoRA: true)
        let updates = try Self.mixedRankUpdates()
        let result = try merge.aggregate(updates, onto: AdapterFixtures.adapter(rank: 4, seed: 1))
        for module in AdapterFixtures.modules.indices {
            let exact = Self.denseChange(updates, module: module, merge: merge)
            let merged = try Self.mergedChange(result.adapter, module: module, merge: merge)
            let difference = largestDifference(merged, exact)
            #expect(difference < 1e-5, "max |Δ| = \(difference)")
            #expect(try #require(result.report.truncationErrors[AdapterFixtures.modules[module]]) < 1e-5)
        }
    }

    /// The projector bias is averaged with the sample weights.
    @Test func averagesSavedTensors() throws {
        let updates = try Self.mixedRankUpdates()
        let result = try SVDMerge(rank: 4, alpha: Self.alpha, useRSLoRA: false).aggregate(updates, onto: AdapterFixtures.adapter(seed: 1))
        let bias = try #require(result.adapter[AdapterFixtures.bias])
        #expect(AdapterFixtures.maximumDifference(bias.values, AdapterFixtures.weightedMean(AdapterFixtures.bias, updates)) < 1e-6)
    }

    @Test func rejectsFactorsOfDifferentRanks() throws {
        let update = try AdapterFixtures.update("site-a", samples: 10, rank: 3, seed: 2)
        let other = try AdapterFixtures.tensors(rank: 2, seed: 3).first { $0.name == AdapterFixtures.loraB(0) }
        let mixed = SiteUpdate(site: "site-a", sampleCount: 10, adapter: try Adapter(
            update.adapter.tensors.filter { $0.name != AdapterFixtures.loraB(0) } + [try #require(other)]))
        #expect(throws: AggregationError.unpairedFactors(site: "site-a", module: AdapterFixtures.modules[0],
                                                         reason: "lora_A [3, 10] and lora_B [12, 2] must share the rank")) {
            try SVDMerge(rank: 4, alpha: 8, useRSLoRA: false).aggregate([mixed], onto: AdapterFixtures.adapter(seed: 1))
        }
    }

    @Test func rejectsNaN() throws {
        var updates = try Self.mixedRankUpdates()
        updates[0] = try AdapterFixtures.changing(updates[0], tensor: AdapterFixtures.loraB(0)) { $0[0] = .nan }
        #expect(throws: AggregationError.nonFiniteValue(site: "site-a", tensor: AdapterFixtures.loraB(0), index: 0, value: "nan")) {
            try SVDMerge(rank: 4, alpha: 8, useRSLoRA: false).aggregate(updates, onto: AdapterFixtures.adapter(seed: 1))
        }
    }
}
