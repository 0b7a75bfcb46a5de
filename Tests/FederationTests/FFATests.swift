@testable import Federation
import Protocols
import Testing

struct FFATests {
    /// Sites share the global A (and may leave it out); B is `Σ wᵢ Bᵢ`, so `B A = Σ wᵢ Bᵢ A`.
    @Test func keepsGlobalAAndAveragesB() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let frozenA = global.loraANames
        // Site a sends the global A unchanged, sites b and c leave it out.
        let updates = try AdapterFixtures.updates().enumerated().map { index, update in
            let withoutA = try AdapterFixtures.dropping(update) { frozenA.contains($0) }
            guard index == 0 else { return withoutA }
            return SiteUpdate(site: update.site, sampleCount: update.sampleCount,
                              adapter: try Adapter(withoutA.adapter.tensors + global.tensors.filter { frozenA.contains($0.name) }))
        }
        let result = try FFA().aggregate(updates, onto: global)
        for tensor in result.adapter.tensors {
            if frozenA.contains(tensor.name) {
                #expect(tensor == global[tensor.name])
            } else {
                let difference = AdapterFixtures.maximumDifference(tensor.values, AdapterFixtures.weightedMean(tensor.name, updates))
                #expect(difference < 1e-6, "\(tensor.name): max |Δ| = \(difference)")
            }
        }
        var accumulator = try #require(try FFA().accumulator(onto: global))
        for update in updates { try accumulator.add(update) }
        #expect(try accumulator.finished() == result)
    }

    /// An A that is not the global's bit for bit breaks FFA's exactness: refused, first element named.
    @Test func rejectsChangedA() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let name = AdapterFixtures.loraA(1)
        let original = try #require(global[name]).values[7]
        var update = try AdapterFixtures.update("site-b", samples: 5, seed: 2)
        update = SiteUpdate(site: update.site, sampleCount: 5, adapter: try Adapter(
            update.adapter.tensors.filter { !global.loraANames.contains($0.name) }
                + global.tensors.filter { global.loraANames.contains($0.name) }))
        update = try AdapterFixtures.changing(update, tensor: name) { $0[7] += 1e-3 }
        #expect(throws: AggregationError.frozenFactorChanged(site: "site-b", tensor: name, index: 7, found: original + 1e-3, expected: original)) {
            try FFA().aggregate([update], onto: global)
        }
    }
}
