import Foundation
import Model
import Tensor

/// Fine-tunes a model's LoRA adapters (and modules_to_save, and objectives' own parameters) on a
/// site's examples with a weighted sum of objectives: what every site runs each round, and what
/// `tessera train` runs locally.
///
/// Deterministic: the data order of epoch `e` is a permutation drawn from stream `e` of the seed,
/// step `k` reads positions `k·B ..< (k+1)·B` of the epochs laid end to end, and dropout at step
/// `k` draws from its own stream. A checkpoint therefore needs only the step, the trained tensors
/// and the optimizer state, and a resumed run is bit-identical to an uninterrupted one.
public final class LocalTrainer {
    /// One logged step.
    public struct StepRecord: Sendable, Codable {
        public var step: Int
        public var loss: Float
        public var components: [String: Float]
        public var learningRate: Float
        public var gradientNorm: Float
        /// Tokens read per second: image and text tokens of the step's batches, padding not counted.
        public var tokensPerSecond: Double
        public var seconds: Double

        public init(step: Int, loss: Float, components: [String: Float], learningRate: Float, gradientNorm: Float,
                    tokensPerSecond: Double, seconds: Double) {
            self.step = step
            self.loss = loss
            self.components = components
            self.learningRate = learningRate
            self.gradientNorm = gradientNorm
            self.tokensPerSecond = tokensPerSecond
            self.seconds = seconds
        }
    }

    public let model: LlavaModel
    public let tokenizer: BPETokenizer
    public let configuration: TrainerConfiguration
    public let objectives: [(objective: TrainingObjective, weight: Float)]
    public private(set) var step = 0
    /// Distinct examples read so far (a site's weight `n_i` in the federation).
    public var distinctExamplesSeen: Int { seen.count }

    let examples: [TrainingExample]
    let template: ChatTemplate
    let optimizer: AdamW
    let parameters: [(name: String, tensor: Tensor)]
    /// The checkpoint written or resumed from last, named when a step cannot be applied.
    public internal(set) var lastCheckpoint: String?
    private var seen = Set<Int>()
    private var orders: [Int: [Int]] = [:]
    private var encodedLengths: [Int: Int] = [:]

    /// Prepares a run: adds fresh adapters from the configuration's seed unless the model already
    /// carries some (a loaded global adapter), builds the objectives and checks the data.
    /// - Throws: ``TrainingError`` for an invalid configuration, an unknown objective or data an
    ///   objective cannot use; ``ModelError`` when the adapter settings match no layer.
    public init(model: LlavaModel, tokenizer: BPETokenizer, configuration: TrainerConfiguration, examples: [TrainingExample]) throws {
        try Self.validate(configuration)
        guard !examples.isEmpty else { throw TrainingError.emptyDataset }
        self.model = model
        self.tokenizer = tokenizer
        self.configuration = configuration
        self.examples = examples
        template = ChatTemplate(configuration: model.configuration)
        let trained: [(name: String, tensor: Tensor)]
        if !configuration.fullyTrainedModules.isEmpty {
            trained = try Self.trainInFull(model: model, modules: configuration.fullyTrainedModules)
        } else {
            try Self.prepareAdapters(model: model, configuration: configuration)
            trained = model.trainableParameters
        }
        let objectives = try configuration.objectives.map { (try ObjectiveRegistry.make($0, model: model), $0.weight) }
        if configuration.gradientAccumulation > 1,
           let whole = objectives.first(where: { $0.0.requiresWholeBatches }) {
            throw TrainingError.invalidConfiguration(field: "gradient_accumulation",
                                                     reason: "must be 1: objective \(whole.0.name) needs whole batches")
        }
        for (objective, _) in objectives {
            for field in objective.requiredFields {
                if let missing = examples.first(where: { !Self.has(field, $0) }) {
                    throw TrainingError.missingField(objective: objective.name, field: field.rawValue, example: missing.id)
                }
            }
        }
        self.objectives = objectives.map { (objective: $0.0, weight: $0.1) }
        parameters = trained + objectives.flatMap { $0.0.parameters }
        optimizer = AdamW(parameters: parameters.map(\.tensor), betas: configuration.betas, epsilon: configuration.epsilon,
                          weightDecay: configuration.weightDecay)
    }

    /// Adds fresh adapters from the configuration's seed unless the model carries some already (a
    /// loaded global adapter); applies FFA to loaded ones.
    private static func prepareAdapters(model: LlavaModel, configuration: TrainerConfiguration) throws {
        if model.lora == nil {
            let targets: LoRAConfiguration.Targets
            switch configuration.targetModules {
            case .names(let names): targets = .names(names)
            case .pattern(let pattern): targets = .pattern(pattern)
            }
            try model.addLoRA(LoRAConfiguration(rank: configuration.loraRank, alpha: configuration.loraAlpha, targets: targets,
                                                dropout: configuration.loraDropout, useRSLoRA: configuration.useRSLoRA,
                                                modulesToSave: configuration.modulesToSave, freezeA: configuration.freezeA),
                              seed: configuration.seed)
        } else if configuration.freezeA, var lora = model.lora, !lora.freezeA {
            lora.freezeA = true
            model.lora = lora
            model.setTrainability()
        }
    }

    /// Freezes everything but the parameters under `modules` (module paths) and returns those,
    /// sorted by name.
    private static func trainInFull(model: LlavaModel, modules: [String]) throws -> [(name: String, tensor: Tensor)] {
        var trained: [(name: String, tensor: Tensor)] = []
        for (path, tensor) in model.parameters.sorted(by: { $0.key < $1.key }) {
            tensor.requiresGradient = modules.contains { path == $0 || path.hasPrefix($0 + ".") }
            if tensor.requiresGradient { trained.append((path, tensor)) }
        }
        guard !trained.isEmpty else {
            throw TrainingError.invalidConfiguration(field: "fully_trained_modules", reason: "\(modules) match no parameter of the model")
        }
        return trained
    }

    /// Whether the run trains whole modules (pretraining) rather than adapters.
    public var trainsInFull: Bool { !configuration.fullyTrainedModules.isEmpty }

    private static func validate(_ c: TrainerConfiguration) throws {
        func require(_ condition: Bool, _ field: String, _ reason: String) throws {
            if !condition { throw TrainingError.invalidConfiguration(field: field, reason: reason) }
        }
        try require(c.steps > 0, "steps", "must be positive, got \(c.steps)")
        try require(c.batchSize > 0, "batch_size", "must be positive, got \(c.batchSize)")
        try require(c.gradientAccumulation > 0 && c.batchSize % c.gradientAccumulation == 0, "gradient_accumulation",
                    "must divide the batch size \(c.batchSize), got \(c.gradientAccumulation)")
        try require(c.learningRate > 0 && c.learningRate.isFinite, "learning_rate", "must be a positive number, got \(c.learningRate)")
        try require(c.loraRank > 0, "lora.r", "must be positive, got \(c.loraRank)")
        try require(!c.objectives.isEmpty, "objectives", "must name at least one objective")
        try require(c.maximumSequenceLength > 0, "max_sequence_length", "must be positive")
    }

    private static func has(_ field: ExampleField, _ example: TrainingExample) -> Bool {
        switch field {
        case .image: return example.pixels != nil
        case .conversation: return example.turns.contains { $0.role == .assistant }
        case .extendedAnswers: return !example.extendedAnswers.isEmpty
        }
    }

    /// Trains from the current step to `configuration.steps` (or to `stopStep`, for a run that
    /// continues later), reporting each step, writing a checkpoint every `checkpointInterval`
    /// steps into `checkpointDirectory` when given.
    /// - Throws: ``TrainingError/nonFiniteLoss(step:component:lastCheckpoint:)`` or
    ///   ``TrainingError/nonFiniteGradient(step:lastCheckpoint:)`` before applying a step whose loss
    ///   or gradient is NaN or infinite (the model keeps the previous step's values).
    public func train(checkpointDirectory: URL? = nil, stoppingAt stopStep: Int? = nil,
                      onStep: (StepRecord) -> Void = { _ in }) throws {
        BLAS.threads = configuration.threads
        AllocatorTuning.retainFreedMemory()
        while step < Swift.min(configuration.steps, stopStep ?? configuration.steps) {
            // Shards run their kernels on one thread each; a whole batch on the budget's threads.
            let record = try BLAS.holdingThreads(shards > 1 ? 1 : configuration.threads) { () throws -> StepRecord in
                try runStep()
            }
            onStep(record)
            if let checkpointDirectory, configuration.checkpointInterval > 0,
               step % configuration.checkpointInterval == 0 || step == configuration.steps {
                try saveCheckpoint(to: checkpointDirectory)
            }
        }
    }

    private func runStep() throws -> StepRecord {
        let start = DispatchTime.now().uptimeNanoseconds
        for (_, tensor) in parameters { tensor.zeroGradient() }
        let indices = batchIndices(step: step)
        seen.formUnion(indices)
        let microBatches = configuration.gradientAccumulation
        let microSize = configuration.batchSize / microBatches
        let context = ForwardContext(isTraining: true, generator: SeededGenerator(seed: configuration.seed, stream: UInt64(step) + 1))
        var total: Float = 0, components: [String: Float] = [:], tokens = 0
        let microShares = try microBatchShares(of: indices)
        for micro in 0..<microBatches {
            let passes = try forwardPasses(of: Array(indices[(micro * microSize)..<((micro + 1) * microSize)]))
            let parts = try DataParallel.map(shards) { shard in
                try passes[shard].enumerated().map { group, members in
                    let batch = try trainingBatch(members)
                    let passContext = shard == 0 && group == 0
                        ? context : ForwardContext(isTraining: true, generator: passGenerator(micro: micro, shard: shard, group: group))
                    let input = ObjectiveInput(model: model, tokenizer: tokenizer, batch: batch, context: passContext,
                                               maximumSequenceLength: configuration.maximumSequenceLength)
                    return (shard: shard, tokens: batch.tokens, losses: try objectives.map { try $0.objective.loss(input) })
                }
            }.flatMap { $0 }
            var losses = [Tensor?](repeating: nil, count: shards)
            for (index, (objective, weight)) in objectives.enumerated() {
                let shares = Self.shares(of: parts.map { $0.losses[index] })
                for (pass, part) in parts.enumerated() {
                    let loss = part.losses[index]
                    for (key, value) in loss.components { components[key, default: 0] += value * shares[pass] * microShares[index][micro] }
                    guard loss.total.item.isFinite else {
                        throw TrainingError.nonFiniteLoss(step: step + 1, component: objective.name, lastCheckpoint: lastCheckpoint)
                    }
                    let weighted = loss.total * (weight * microShares[index][micro] * shares[pass])
                    losses[part.shard] = losses[part.shard].map { $0 + weighted } ?? weighted
                }
            }
            tokens += parts.reduce(0) { $0 + $1.tokens }
            let shardLosses = losses.compactMap { $0 }
            guard !shardLosses.isEmpty else { continue }
            total += shardLosses.reduce(0) { $0 + $1.item }
            DataParallel.backward(shardLosses, scales: [Float](repeating: 1, count: shardLosses.count), parameters: parameters.map(\.tensor))
        }
        let norm = configuration.gradientClipNorm.map { GradientClipping.clipGlobalNorm(of: parameters.map(\.tensor), to: $0) }
            ?? GradientClipping.clipGlobalNorm(of: parameters.map(\.tensor), to: .infinity)
        // A finite loss can still have an overflowing gradient; AdamW would spread it to every value.
        guard norm.isFinite else { throw TrainingError.nonFiniteGradient(step: step + 1, lastCheckpoint: lastCheckpoint) }
        let schedule: LearningRateSchedule = configuration.schedule == .cosine
            ? .cosine(warmupSteps: configuration.warmupSteps, totalSteps: configuration.steps)
            : .constant(warmupSteps: configuration.warmupSteps)
        let learningRate = configuration.learningRate * schedule.factor(atStep: step)
        Autograd.withoutRecording { optimizer.update(learningRate: learningRate) }
        step += 1
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return StepRecord(step: step, loss: total, components: components, learningRate: learningRate, gradientNorm: norm,
                          tokensPerSecond: Double(tokens) / seconds, seconds: seconds)
    }

    /// Each objective's weight for each micro-batch of a step's `indices`: its share of the items
    /// the objective averages over in the whole batch (``TrainingObjective/averagedOver(_:)``), so
    /// the accumulated step is the batch's mean as one pass would take it; equal shares when an
    /// objective cannot count before the forward pass, and 1 without accumulation.
    private func microBatchShares(of indices: [Int]) throws -> [[Float]] {
        let microBatches = configuration.gradientAccumulation
        guard microBatches > 1 else { return objectives.map { _ in [1] } }
        let microSize = indices.count / microBatches
        let batches = try (0..<microBatches).map { micro in try trainingBatch(Array(indices[(micro * microSize)..<((micro + 1) * microSize)])) }
        return objectives.map { objective, _ in
            let counts = batches.compactMap { objective.averagedOver($0) }
            guard counts.count == microBatches, counts.reduce(0, +) > 0 else {
                return [Float](repeating: 1 / Float(microBatches), count: microBatches)
            }
            return DataParallel.shares(ofCounts: counts)
        }
    }

    /// The batch of examples `members` (indices into the examples), encoded with the chat template.
    private func trainingBatch(_ members: [Int]) throws -> TrainingBatch {
        try TrainingBatch(examples: members.map { examples[$0] }, template: template, tokenizer: tokenizer,
                          maximumLength: configuration.maximumSequenceLength, imageSize: model.configuration.vision.imageSize,
                          padding: model.configuration.text.padTokenID ?? model.configuration.text.eosTokenID)
    }

    /// The data-parallel shards of each (micro-)batch: one per thread, unless an objective needs
    /// whole batches.
    private var shards: Int {
        let microSize = configuration.batchSize / configuration.gradientAccumulation
        return needsWholeBatches ? 1 : Swift.min(configuration.threads, microSize)
    }

    /// Whether an objective must see each (micro-)batch in one forward pass (InfoNCE's negatives).
    private var needsWholeBatches: Bool { objectives.contains { $0.objective.requiresWholeBatches } }

    /// Examples per forward pass at most: a shard's examples go through the model in groups of
    /// similar length, each padded only to its own longest. A site's data mixes short VQA items
    /// with conversations twice as long, so one batch of 64 padded to its longest is less than half
    /// real tokens. The loss is still the whole batch's mean: each pass weighs by the tokens it
    /// averages over. Measured with `tessera train` (demo preset, a MedSynth site, batch 64, one thread):
    /// conversations and VQA items, 40 steps: 13.9 s in one pass, 7.3 s in passes of 16, 6.8 s in
    /// passes of 8; VQA items alone (lengths within ±20%), 60 steps: 8.5, 8.1 and 8.5 s.
    var forwardPassSize = 16

    /// The forward passes of a (micro-)batch's examples, per shard: sorted by encoded length, dealt
    /// to the shards in turn (so each shard gets long and short ones alike), then cut into passes
    /// of at most `forwardPassSize`. An objective that needs whole batches gets one pass.
    private func forwardPasses(of members: [Int]) throws -> [[[Int]]] {
        if needsWholeBatches { return [[members]] }
        let lengths = try members.map(encodedLength)
        let sorted = members.indices.sorted { (lengths[$0], $0) < (lengths[$1], $1) }.map { members[$0] }
        return (0..<shards).map { shard in
            let dealt = Array(sorted[shard...].enumerated().filter { $0.offset % shards == 0 }.map(\.element))
            let count = (dealt.count + forwardPassSize - 1) / forwardPassSize
            return (0..<count).map { Array(dealt[DataParallel.range(ofShard: $0, of: count, count: dealt.count)]) }
        }
    }

    /// Tokens of example `index` as a batch encodes it (truncated to the maximum length).
    private func encodedLength(_ index: Int) throws -> Int {
        if let known = encodedLengths[index] { return known }
        let length = Swift.min(try template.encode(examples[index].turns, tokenizer: tokenizer).ids.count, configuration.maximumSequenceLength)
        encodedLengths[index] = length
        return length
    }

    /// Each forward pass's share of an objective's loss over the whole (micro-)batch: its share of
    /// the items the losses average over, so that the weighted sum is the whole batch's mean; equal
    /// shares when an objective does not say what it averages over.
    static func shares(of losses: [ObjectiveLoss]) -> [Float] {
        let counts = losses.compactMap(\.averagedOver)
        guard counts.count == losses.count else { return [Float](repeating: 1 / Float(losses.count), count: losses.count) }
        return DataParallel.shares(ofCounts: counts)
    }

    /// The dropout generator of forward pass `group` of shard `shard` in micro-batch `micro` at this
    /// step (the first pass of shard 0 draws from the step's own stream, as a single pass does).
    private func passGenerator(micro: Int, shard: Int, group: Int) -> SeededGenerator {
        guard group > 0 else {
            return SeededGenerator(seed: configuration.seed, stream: 0x5348_0000_0000_0000 | UInt64(step) << 16 | UInt64(micro) << 8 | UInt64(shard))
        }
        return SeededGenerator(seed: configuration.seed,
                               stream: 0x4C47_0000_0000_0000 | UInt64(step) << 24 | UInt64(micro) << 16 | UInt64(shard) << 8 | UInt64(group))
    }

    /// The example indices of step `k`'s batch.
    func batchIndices(step k: Int) -> [Int] {
        let size = configuration.batchSize, count = examples.count
        return (0..<size).map { offset in
            let position = k * size + offset
            return order(epoch: position / count)[position % count]
        }
    }

    var seenExamples: Set<Int> { seen }

    func restore(step: Int, seen: [Int]) {
        self.step = step
        self.seen = Set(seen)
    }

    private func order(epoch: Int) -> [Int] {
        if let cached = orders[epoch] { return cached }
        var generator = SeededGenerator(seed: configuration.seed, stream: 0x4441_5441_0000_0000 | UInt64(epoch))
        var order = Array(0..<examples.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        orders = [epoch: order]
        return order
    }
}
