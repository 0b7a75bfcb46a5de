import Foundation
import Tensor
import TestSupport
import Testing

struct DataParallelTests {
    /// Embedding `(10, 16)` → LoRA linear `(8, 16)` with A `(4, 16)`, B `(8, 4)` → mean cross-entropy
    /// over the rows whose target is not ignored: every way a kernel writes a parameter's gradient
    /// (a scatter-add into the embedding, BLAS `beta = 1` into A and B, plain accumulation).
    struct Network {
        let embedding: Tensor, weight: Tensor, a: Tensor, b: Tensor

        init() {
            var generator = SeededGenerator(seed: 11)
            func random(_ shape: [Int], trains: Bool) -> Tensor {
                Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in generator.normal() * 0.5 }, requiresGradient: trains)
            }
            embedding = random([10, 16], trains: true)
            weight = random([8, 16], trains: false)
            a = random([4, 16], trains: true)
            b = random([8, 4], trains: true)
        }

        var parameters: [Tensor] { [embedding, a, b] }

        func loss(ids: [Int], targets: [Int]) -> Tensor {
            embedding.gatheringRows(ids).linear(weight: weight, bias: nil, lowRankA: a, lowRankB: b, scale: 2, lowRankInput: nil)
                .crossEntropy(targets: targets)
        }
    }

    static let ids = [1, 4, 4, 9, 0, 2, 7, 7, 3, 5, 8, 6]
    // Shard 0 (rows 0..<5) counts 2 targets, shard 1 (rows 5..<12) counts 7.
    static let targets = [-100, 3, -100, -100, 7, 0, 1, 2, 5, 6, 4, 3]

    @Test func shardsWeightedByTheirCountedRowsGiveTheWholeBatchsGradients() throws {
        let network = Network()
        network.loss(ids: Self.ids, targets: Self.targets).backward()
        let whole = network.parameters.map { $0.grad ?? [] }
        for parameter in network.parameters { parameter.zeroGradient() }

        let shards = [0..<5, 5..<12]
        let losses = try DataParallel.map(shards.count) { shard in
            network.loss(ids: Array(Self.ids[shards[shard]]), targets: Array(Self.targets[shards[shard]]))
        }
        DataParallel.backward(losses, scales: [2.0 / 9, 7.0 / 9], parameters: network.parameters)
        for (parameter, expected) in zip(network.parameters, whole) {
            expectClose(parameter.grad ?? [], expected, tolerance: 1e-6)
        }
        // Equal weights would not do: the shards count different numbers of rows.
        let unweighted = Network()
        let halves = try DataParallel.map(2) { shard in
            unweighted.loss(ids: Array(Self.ids[shards[shard]]), targets: Array(Self.targets[shards[shard]]))
        }
        DataParallel.backward(halves, scales: [0.5, 0.5], parameters: unweighted.parameters)
        #expect(zip(unweighted.b.grad ?? [], whole[2]).contains { abs($0 - $1) > 1e-3 })
    }

    @Test func shardGradientsAddToWhatTheParametersHold() throws {
        let network = Network()
        network.loss(ids: Self.ids, targets: Self.targets).backward()
        let once = network.a.grad ?? []
        let losses = try DataParallel.map(2) { _ in network.loss(ids: Self.ids, targets: Self.targets) }
        DataParallel.backward(losses, scales: [1, 0], parameters: network.parameters)
        expectClose(network.a.grad ?? [], once.map { 2 * $0 }, tolerance: 1e-6)
    }

    /// (Whether the thread count comes back afterwards cannot be asserted here: other tests in
    /// this process shard and set budgets at the same time.)
    @Test func mapReturnsShardOrderAndKeepsKernelsOnTheShardsThread() throws {
        let results = try DataParallel.map(4) { shard in (square: shard * shard, threads: BLAS.threads) }
        #expect(results.map(\.square) == [0, 1, 4, 9])
        #expect(results.allSatisfy { $0.threads == 1 })
    }

    @Test func mapRethrowsTheFirstFailingShardInShardOrder() {
        struct ShardFailure: Error, Equatable { let shard: Int }
        #expect(throws: ShardFailure(shard: 1)) {
            _ = try DataParallel.map(4) { shard in
                if shard == 3 { throw ShardFailure(shard: 3) }
                if shard == 1 { Thread.sleep(forTimeInterval: 0.05); throw ShardFailure(shard: 1) }
                return shard
            }
        }
    }

    @Test func shardsRecordOperationsOnlyWhenTheCallerDoes() throws {
        let w = Tensor(shape: [1], values: [2], requiresGradient: true)
        let recorded = try DataParallel.map(2) { _ in (w * w).isRecorded }
        let unrecorded = try Autograd.withoutRecording { try DataParallel.map(2) { _ in (w * w).isRecorded } }
        #expect(recorded == [true, true] && unrecorded == [false, false])
    }

    @Test func shardRangesPartitionTheItems() {
        for (count, shards) in [(16, 2), (5, 2), (7, 3), (3, 3)] {
            let ranges = (0..<shards).map { DataParallel.range(ofShard: $0, of: shards, count: count) }
            #expect(ranges.flatMap { Array($0) } == Array(0..<count))
            #expect(ranges.allSatisfy { $0.count == count / shards || $0.count == count / shards + 1 })
        }
    }
}
