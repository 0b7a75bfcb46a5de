@testable import Federation
import Protocols
import Testing
import TestSupport

struct TrimmedMeanTests {
    /// Five sites; coordinate-wise: sort the steps, drop k at each end, average the rest.
    static func direct(_ updates: [SiteUpdate], global: Adapter, name: String, trimming k: Int) -> [Double] {
        let origin = global[name]?.values ?? []
        return origin.indices.map { j in
            let steps = updates.map { Double($0.adapter[name]?.values[j] ?? .nan) - Double(origin[j]) }.sorted()
            let kept = steps[k..<(steps.count - k)]
            return Double(origin[j]) + kept.reduce(0, +) / Double(kept.count)
        }
    }

    static func fiveUpdates() throws -> [SiteUpdate] {
        try (0..<5).map { try AdapterFixtures.update("site-\($0)", samples: 10 * ($0 + 1), seed: 20 + UInt64($0)) }
    }

    @Test func matchesDirectTrimmedMean() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let updates = try Self.fiveUpdates()
        let result = try TrimmedMean(trim: .count(1)).aggregate(updates, onto: global)
        for tensor in result.adapter.tensors {
            let difference = AdapterFixtures.maximumDifference(tensor.values, Self.direct(updates, global: global, name: tensor.name, trimming: 1))
            #expect(difference < 1e-6, "\(tensor.name): max |Δ| = \(difference)")
        }
        #expect(result.report.contributions.allSatisfy { $0.weight == nil })
    }

    /// β = 0.3 of 5 updates trims ⌊1.5⌋ = 1 at each end.
    @Test func fractionTrimsFloorOfBetaN() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let updates = try Self.fiveUpdates()
        #expect(try TrimmedMean(trim: .fraction(0.3)).aggregate(updates, onto: global) ==
                TrimmedMean(trim: .count(1)).aggregate(updates, onto: global))
    }

    /// Median: odd n keeps the middle value, even n the mean of the two middle ones.
    @Test func medianMatchesDirectMedian() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        for count in [4, 5] {
            let updates = Array(try Self.fiveUpdates().prefix(count))
            let result = try CoordinateMedian().aggregate(updates, onto: global)
            for tensor in result.adapter.tensors {
                let expected = Self.direct(updates, global: global, name: tensor.name, trimming: (count - 1) / 2)
                #expect(AdapterFixtures.maximumDifference(tensor.values, expected) < 1e-6)
            }
        }
    }

    /// One site sending a 1000× step moves the median by no more than an honest site would.
    @Test func medianIgnoresOneOutlier() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        var updates = try Self.fiveUpdates()
        let honest = try CoordinateMedian().aggregate(updates, onto: global)
        updates[4] = try AdapterFixtures.changing(updates[4], tensor: AdapterFixtures.bias) { $0 = $0.map { $0 * 1000 } }
        let attacked = try CoordinateMedian().aggregate(updates, onto: global)
        let shift = largestDifference(attacked.adapter[AdapterFixtures.bias]?.values ?? [], honest.adapter[AdapterFixtures.bias]?.values ?? [])
        #expect(shift < 2)
    }

    /// As Flower's aggregate_bulyan does, the refusal states the requirement.
    @Test func refusesTooFewUpdatesWithTheRequirement() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let updates = Array(try Self.fiveUpdates().prefix(4))
        let error = AggregationError.tooFewUpdatesToTrim(updates: 4, trimmed: 2)
        #expect(throws: error) { try TrimmedMean(trim: .count(2)).aggregate(updates, onto: global) }
        #expect(error.description == "trimmed mean drops the 2 largest and 2 smallest values of each coordinate, so it needs more than 2 × 2 updates; got 4")
    }

    @Test func rejectsNonFiniteInput() throws {
        var updates = try Self.fiveUpdates()
        updates[0] = try AdapterFixtures.changing(updates[0], tensor: AdapterFixtures.loraA(0)) { $0[2] = .infinity }
        #expect(throws: AggregationError.nonFiniteValue(site: "site-0", tensor: AdapterFixtures.loraA(0), index: 2, value: "inf")) {
            try CoordinateMedian().aggregate(updates, onto: AdapterFixtures.adapter(seed: 1))
        }
    }
}
