@testable import Federation
import Protocols
import Testing

struct FedAvgTests {
    /// Each tensor, A and B alike, is `Σ nᵢ xᵢ / Σ n`; float32 against Double within 1e-6
    /// (values are O(1), three terms).
    @Test func matchesDirectWeightedAverage() throws {
        let updates = try AdapterFixtures.updates()
        let global = try AdapterFixtures.adapter(seed: 1)
        let result = try FedAvg().aggregate(updates, onto: global)
        for tensor in result.adapter.tensors {
            let difference = AdapterFixtures.maximumDifference(tensor.values, AdapterFixtures.weightedMean(tensor.name, updates))
            print("fedavg \(tensor.name): max |Δ| = \(difference)")
            #expect(difference < 1e-6)
        }
        #expect(result.report.contributions.map(\.weight) == [0.1, 0.3, 0.6])
        #expect(result.report.totalSampleCount == 100)
    }

    /// One site with 1 sample at 0 and one with 3 at 4 average to 3, not 2.
    @Test func weightsBySampleCount() throws {
        let global = try Adapter([NamedTensor(name: AdapterFixtures.bias, shape: [2], values: [9, 9])])
        let low = SiteUpdate(site: "small", sampleCount: 1, adapter: try Adapter([NamedTensor(name: AdapterFixtures.bias, shape: [2], values: [0, 0])]))
        let high = SiteUpdate(site: "large", sampleCount: 3, adapter: try Adapter([NamedTensor(name: AdapterFixtures.bias, shape: [2], values: [4, 4])]))
        let result = try FedAvg().aggregate([low, high], onto: global)
        #expect(result.adapter[AdapterFixtures.bias]?.values == [3, 3])
    }

    /// Feeding the accumulator one update at a time gives the batch result bit for bit.
    @Test func streamingEqualsBatch() throws {
        let updates = try AdapterFixtures.updates()
        let global = try AdapterFixtures.adapter(seed: 1)
        var accumulator = try #require(try FedAvg().accumulator(onto: global))
        for update in updates { try accumulator.add(update) }
        #expect(try accumulator.finished() == FedAvg().aggregate(updates, onto: global))
    }

    @Test func rejectsNaNWithTheSiteTensorAndElement() throws {
        var updates = try AdapterFixtures.updates()
        updates[1] = try AdapterFixtures.changing(updates[1], tensor: AdapterFixtures.loraB(1)) { $0[5] = .nan }
        let expected = AggregationError.nonFiniteValue(site: "site-b", tensor: AdapterFixtures.loraB(1), index: 5, value: "nan")
        #expect(throws: expected) { try FedAvg().aggregate(updates, onto: AdapterFixtures.adapter(seed: 1)) }
        var accumulator = try #require(try FedAvg().accumulator(onto: AdapterFixtures.adapter(seed: 1)))
        #expect(throws: expected) { try accumulator.add(updates[1]) }
    }

    @Test func rejectsInfinityWithTheSiteTensorAndElement() throws {
        var updates = try AdapterFixtures.updates()
        updates[2] = try AdapterFixtures.changing(updates[2], tensor: AdapterFixtures.bias) { $0[3] = -.infinity }
        #expect(throws: AggregationError.nonFiniteValue(site: "site-c", tensor: AdapterFixtures.bias, index: 3, value: "-inf")) {
            try FedAvg().aggregate(updates, onto: AdapterFixtures.adapter(seed: 1))
        }
    }

    /// A refused update leaves the running sum as it was: the round goes on without it.
    @Test func refusedUpdateLeavesTheAccumulatorUnchanged() throws {
        let updates = try AdapterFixtures.updates()
        let global = try AdapterFixtures.adapter(seed: 1)
        let bad = try AdapterFixtures.changing(updates[1], tensor: AdapterFixtures.bias) { $0[0] = .infinity }
        var accumulator = try #require(try FedAvg().accumulator(onto: global))
        try accumulator.add(updates[0])
        #expect { try accumulator.add(bad) } throws: { error in
            guard case let .nonFiniteValue(site, tensor, index, _)? = error as? AggregationError else { return false }
            return site == bad.site && tensor == AdapterFixtures.bias && index == 0
        }
        try accumulator.add(updates[2])
        #expect(try accumulator.finished() == FedAvg().aggregate([updates[0], updates[2]], onto: global))
    }

    /// Finite inputs whose sum overflows float32 never become a global adapter.
    @Test func rejectsOverflowingAggregate() throws {
        let name = AdapterFixtures.bias
        let global = try Adapter([NamedTensor(name: name, shape: [1], values: [0])])
        let big = { (site: String) in SiteUpdate(site: site, sampleCount: 2, adapter: try Adapter([NamedTensor(name: name, shape: [1], values: [3e38])])) }
        #expect(throws: AggregationError.nonFiniteResult(tensor: name, index: 0)) {
            try FedAvg().aggregate([try big("a"), try big("b")], onto: global)
        }
    }

    @Test func rejectsMismatchedTensors() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let update = try AdapterFixtures.update("site-a", samples: 5, seed: 2)
        #expect(throws: AggregationError.missingTensor(site: "site-a", tensor: AdapterFixtures.bias)) {
            try FedAvg().aggregate([AdapterFixtures.dropping(update) { $0 == AdapterFixtures.bias }], onto: global)
        }
        #expect(throws: AggregationError.shapeMismatch(site: "site-a", tensor: AdapterFixtures.loraA(0), found: [3, 10], expected: [4, 10])) {
            try FedAvg().aggregate([AdapterFixtures.update("site-a", samples: 5, rank: 3, seed: 2)], onto: global)
        }
        let extra = SiteUpdate(site: "site-a", sampleCount: 5, adapter: try Adapter(update.adapter.tensors + [NamedTensor(name: "tessera.objective.logra.w", shape: [1], values: [0])]))
        #expect(throws: AggregationError.unexpectedTensor(site: "site-a", tensor: "tessera.objective.logra.w")) {
            try FedAvg().aggregate([extra], onto: global)
        }
    }

    @Test func rejectsEmptyRoundsAndZeroOrNegativeWeights() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        #expect(throws: AggregationError.noUpdates(strategy: "fedavg")) { try FedAvg().aggregate([], onto: global) }
        #expect(throws: AggregationError.zeroTotalWeight(sites: 1)) {
            try FedAvg().aggregate([AdapterFixtures.update("site-a", samples: 0, seed: 2)], onto: global)
        }
        #expect(throws: AggregationError.negativeSampleCount(site: "site-a", sampleCount: -1)) {
            try FedAvg().aggregate([AdapterFixtures.update("site-a", samples: -1, seed: 2)], onto: global)
        }
    }

    @Test func errorMessagesStateTheRequirement() {
        #expect(AggregationError.zeroTotalWeight(sites: 3).description == "the 3 updates report 0 samples in total; weights nᵢ/Σn need Σn > 0")
        #expect(AggregationError.nonFiniteValue(site: "site-b", tensor: "t", index: 5, value: "nan").description
            == "site-b: tensor t element 5 is nan; every value must be finite")
    }
}
