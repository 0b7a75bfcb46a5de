import Foundation

/// Data parallelism inside one process: a batch split into shards, each shard's forward and
/// backward pass on its own thread, the shards' parameter gradients added up in shard order.
///
/// On these small models it beats splitting every kernel across the cores: each shard's GEMMs
/// run on one core with no hand-over between threads, and the kernels that cannot use several
/// cores well (attention's per-head products, elementwise passes) run on both at once. Measured
/// with `tessera bench model` on 2 cores: the small preset's step 0.20–0.21 s with every kernel
/// on two threads, 0.17–0.18 s as two half-batch shards on one thread each.
///
/// While shards run, ``BLAS/threads`` is held at 1 (so every kernel keeps to its shard's thread) and each
/// shard's backward pass adds the gradients of the given parameters into its own buffers, never
/// into the shared tensors; ``backward(_:scales:parameters:)`` then adds the buffers into the
/// parameters' `grad` in shard order. The result depends on the shards, not on thread timing.
public enum DataParallel {
    /// Calls `body(shard)` for every shard in `0..<count`, concurrently on `count` threads with
    /// single-threaded kernels, and returns the results in shard order. A single shard runs on the
    /// calling thread with the kernels' usual threads.
    /// - Throws: the error of the first shard (in shard order) that threw.
    public static func map<R, E: Error>(_ count: Int, _ body: (Int) throws(E) -> R) throws(E) -> [R] {
        var results: [Result<R, E>] = []
        if count == 1 {
            results = [Result { () throws(E) -> R in try body(0) }]
        } else if count > 1 {
            results = shards(count) { shard in Result { () throws(E) -> R in try body(shard) } }
        }
        var values: [R] = []
        for result in results { values.append(try result.get()) }
        return values
    }

    /// `body(shard)` for every shard, concurrently as ``map(_:_:)`` describes; `count` ≥ 2.
    private static func shards<R>(_ count: Int, _ body: (Int) -> R) -> [R] {
        let recording = Autograd.isRecording
        var results = [R?](repeating: nil, count: count)
        BLAS.holdingThreads(1) {
            withoutActuallyEscaping(body) { body in
                results.withUnsafeMutableBufferPointer { buffer in
                    // Each shard writes only its own slot.
                    let slots = buffer
                    let work = ShardWork { shard in
                        if Profiler.shared.isEnabled { Profiler.shared.resetMark() }
                        slots[shard] = $isInShard.withValue(true) { Autograd.$isRecording.withValue(recording) { body(shard) } }
                    }
                    DispatchQueue.concurrentPerform(iterations: count) { work.run($0) }
                }
            }
        }
        return results.map { $0! }
    }

    /// Runs the backward pass of each shard's loss (seeded with its scale, so the parameters get
    /// `Σ scale_s · ∂loss_s/∂p`), the shards concurrently as in ``map(_:_:)``, and adds the
    /// gradients of `parameters` into their `grad` in shard order. Gradients of tensors that are
    /// not in `parameters` and not computed in a shard's own graph must not be needed: they are
    /// not collected.
    public static func backward(_ losses: [Tensor], scales: [Float], parameters: [Tensor]) {
        precondition(losses.count == scales.count, "\(losses.count) losses for \(scales.count) scales")
        guard losses.count > 1 else {
            for (loss, scale) in zip(losses, scales) { loss.backward(seed: [scale]) }
            return
        }
        let sinks = map(losses.count) { shard in
            let sink = GradientSink(parameters: parameters)
            GradientSink.$current.withValue(sink) { losses[shard].backward(seed: [scales[shard]]) }
            return sink
        }
        for (index, parameter) in parameters.enumerated() {
            for sink in sinks {
                if let gradient = sink.gradients[index] { parameter.accumulateGradient(gradient) }
            }
        }
    }

    /// Whether this thread runs a shard: then ``Parallel`` keeps every kernel on it.
    @TaskLocal static var isInShard = false

    /// Each shard's share of a mean over all shards' items, given how many items each shard's own
    /// mean is over: weighing the shards' means by them gives the mean over all items (all zero
    /// when no shard has any).
    public static func shares(ofCounts counts: [Int]) -> [Float] {
        let all = counts.reduce(0, +)
        return counts.map { all == 0 ? 0 : Float($0) / Float(all) }
    }

    /// Shard `shard` of `shards` contiguous, near-equal parts of `0..<count` (the first ones
    /// shorter by one where `count` does not divide).
    public static func range(ofShard shard: Int, of shards: Int, count: Int) -> Range<Int> {
        (shard * count / shards)..<((shard + 1) * count / shards)
    }

    /// The shard closure handed to Dispatch's threads.
    // @unchecked Sendable: each shard touches only its own result slot and its own graph; the
    // tensors shards share (the frozen weights, the parameters) are only read until
    // `concurrentPerform` returns.
    private struct ShardWork: @unchecked Sendable {
        let run: (Int) -> Void
    }
}

/// Where one shard's backward pass puts the gradients of the shared parameters (see
/// ``DataParallel``): one buffer per parameter, written by that shard's thread only.
final class GradientSink: @unchecked Sendable {
    // @unchecked: only the thread that runs the shard's backward pass reads or writes it.

    /// The sink of the backward pass running on this thread, if it runs as a shard.
    @TaskLocal static var current: GradientSink?

    private let slots: [ObjectIdentifier: Int]
    /// Each parameter's gradient, in the order the sink was given them; nil where none arrived.
    private(set) var gradients: [[Float]?]

    init(parameters: [Tensor]) {
        slots = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { (ObjectIdentifier($0.element), $0.offset) })
        gradients = [[Float]?](repeating: nil, count: parameters.count)
    }

    /// The slot of `tensor` when the sink collects its gradient.
    func slot(of tensor: Tensor) -> Int? { slots[ObjectIdentifier(tensor)] }

    /// Adds `contribution` into slot `slot`.
    func accumulate(_ contribution: [Float], slot: Int) {
        guard gradients[slot] != nil else {
            gradients[slot] = contribution
            return
        }
        withGradient(slot: slot, count: contribution.count) { gradient in
            contribution.withUnsafeBufferPointer { source in
                for i in 0..<gradient.count { gradient[i] += source[i] }
            }
        }
    }

    /// Write access to slot `slot` (zeros on first use), as ``Tensor/withGradient(_:)`` gives.
    func withGradient<R>(slot: Int, count: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        var gradient = gradients[slot] ?? [Float](repeating: 0, count: count)
        gradients[slot] = nil
        defer { gradients[slot] = gradient }
        return try gradient.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
    }
}
