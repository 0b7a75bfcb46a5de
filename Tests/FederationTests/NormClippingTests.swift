@testable import Federation
import Foundation
import Protocols
import Security
import Testing

struct NormClippingTests {
    /// `g + Σ wᵢ min(1, C/‖Δᵢ‖) Δᵢ` against a direct computation in Double; C sits between the
    /// steps' norms so one site is clipped and others are not.
    @Test func matchesDirectClippedAverage() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let updates = try AdapterFixtures.updates()
        let norms = try updates.map { try Self.stepNorm(of: $0, from: global) }
        let bound = norms.sorted()[1]
        let result = try NormClipping(bound: bound, ffa: false).aggregate(updates, onto: global)
        let total = 100.0
        for tensor in result.adapter.tensors {
            let origin = try #require(global[tensor.name]).values
            var expected = origin.map(Double.init)
            for (update, norm) in zip(updates, norms) {
                let values = try #require(update.adapter[tensor.name]).values
                let coefficient = Double(update.sampleCount) / total * min(1, bound / norm)
                for j in expected.indices { expected[j] += coefficient * (Double(values[j]) - Double(origin[j])) }
            }
            let difference = AdapterFixtures.maximumDifference(tensor.values, expected)
            #expect(difference < 1e-5, "\(tensor.name): max |Δ| = \(difference)")
        }
        #expect(result.report.contributions.map(\.clipped) == norms.map { $0 > bound })
        let reported = result.report.contributions.compactMap(\.stepNorm)
        for (found, expected) in zip(reported, norms) { #expect(abs(found - expected) < 1e-9 * expected) }
    }

    /// `‖update − global‖₂` over all tensors, in Double.
    static func stepNorm(of update: SiteUpdate, from global: Adapter) throws -> Double {
        var squared = 0.0
        for tensor in update.adapter.tensors {
            let origin = try #require(global[tensor.name]).values
            for (x, g) in zip(tensor.values, origin) { squared += (Double(x) - Double(g)) * (Double(x) - Double(g)) }
        }
        return squared.squareRoot()
    }

    /// Median over clipped steps: `g + median_i(min(1, C/‖Δᵢ‖) Δᵢ)` per coordinate, against a direct
    /// computation in Double, with the clipped sites and their norms in the report.
    @Test func clippedStepsTakeTheMedianOfClippedSteps() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let updates = try AdapterFixtures.updates()
        let norms = try updates.map { try Self.stepNorm(of: $0, from: global) }
        let bound = norms.sorted()[1]
        let result = try ClippedSteps(bound: bound, base: CoordinateMedian()).aggregate(updates, onto: global)
        #expect(result.report.strategy == "median+clip")
        for tensor in result.adapter.tensors {
            let origin = try #require(global[tensor.name]).values
            let steps = try zip(updates, norms).map { update, norm in
                try #require(update.adapter[tensor.name]).values.enumerated().map { j, x in
                    min(1, bound / norm) * (Double(x) - Double(origin[j]))
                }
            }
            let expected = origin.indices.map { j in Double(origin[j]) + steps.map { $0[j] }.sorted()[steps.count / 2] }
            let difference = AdapterFixtures.maximumDifference(tensor.values, expected)
            #expect(difference < 1e-5, "\(tensor.name): max |Δ| = \(difference)")
        }
        #expect(result.report.contributions.map(\.clipped) == norms.map { $0 > bound })
    }

    /// A bound above every step's norm changes nothing but rounding: the fedavg result.
    @Test func largeBoundIsFedAvg() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let updates = try AdapterFixtures.updates()
        let clipped = try NormClipping(bound: 1e6, ffa: false).aggregate(updates, onto: global)
        let plain = try FedAvg().aggregate(updates, onto: global)
        for (a, b) in zip(clipped.adapter.tensors, plain.adapter.tensors) {
            #expect(AdapterFixtures.maximumDifference(a.values, b.values.map(Double.init)) < 1e-6)
        }
    }

    /// Stored containers read from their byte planes give the same sums as the decoded updates.
    @Test func storedContainersEqualInMemoryUpdates() throws {
        let global = try AdapterFixtures.adapter(seed: 1)
        let updates = try AdapterFixtures.updates()
        let strategy = try NormClipping(bound: 5, ffa: false)
        var fromMemory = try #require(try strategy.accumulator(onto: global))
        var fromStorage = try #require(try strategy.accumulator(onto: global))
        var storage: [UInt8] = []
        let baseDigest = try SHA256.Digest(hex: String(repeating: "ab", count: 32))
        for update in updates {
            try fromMemory.add(update)
            let container = DeltaContainer(header: .init(round: 1, site: update.site, baseDigest: baseDigest, sampleCount: update.sampleCount,
                                                         encoding: .fp32), tensors: update.adapter.tensors)
            let stored = try DeltaContainer.Stored.open(try container.encoded().bytes, source: update.site, maximumDecompressedBytes: 1 << 20,
                                                        tensors: nil, reusing: &storage)
            try fromStorage.add(stored)
            storage = (consume stored).storage
        }
        #expect(try fromMemory.finished() == fromStorage.finished())
    }

    @Test func refusesNonPositiveBound() {
        #expect(throws: AggregationError.invalidOption(strategy: "clip", option: "step-norm bound", value: "0.0",
                                                       requirement: "the bound must be finite and > 0")) {
            try NormClipping(bound: 0, ffa: false)
        }
        #expect(throws: AggregationError.invalidOption(strategy: "clip", option: "step-norm bound", value: "inf",
                                                       requirement: "the bound must be finite and > 0")) {
            try ClippedSteps(bound: .infinity, base: CoordinateMedian())
        }
    }
}
