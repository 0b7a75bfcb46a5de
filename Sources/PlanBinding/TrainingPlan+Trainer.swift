import Model
import Protocols
import Training

extension TrainingPlan {
    /// The trainer configuration a site runs for this plan, field for field (ARCHITECTURE.md,
    /// "The training plan"): only the seed (derived from campaign seed, round and site), the
    /// thread count and the checkpoint interval are the site's own.
    /// - Throws: `SecurityError` if OpenSSL cannot hash the seed.
    public func trainerConfiguration(round: Int, site: String, threads: Int, checkpointInterval: Int) throws -> TrainerConfiguration {
        var configuration = TrainerConfiguration(
            steps: schedule.steps, batchSize: schedule.batchSize, learningRate: Float(schedule.learningRate),
            seed: try randomness.siteSeed(round: round, site: site))
        configuration.objectives = trainerObjectives
        configuration.gradientAccumulation = schedule.gradientAccumulation
        configuration.maximumSequenceLength = schedule.maxSequenceLength
        configuration.schedule = schedule.learningRateSchedule == .cosine ? .cosine : .constant
        configuration.warmupSteps = schedule.warmupSteps
        configuration.gradientClipNorm = schedule.gradientClipNorm.map(Float.init)
        configuration.betas = (Float(optimizer.betas[0]), Float(optimizer.betas[1]))
        configuration.epsilon = Float(optimizer.epsilon)
        configuration.weightDecay = Float(optimizer.weightDecay)
        configuration.loraRank = lora.r
        configuration.loraAlpha = Float(lora.alpha)
        configuration.useRSLoRA = lora.useRSLoRA
        configuration.loraDropout = Float(lora.dropout)
        switch lora.targetModules {
        case let .names(names): configuration.targetModules = .names(names)
        case let .pattern(pattern): configuration.targetModules = .pattern(pattern)
        }
        configuration.modulesToSave = lora.modulesToSave
        configuration.freezeA = lora.ffa
        configuration.threads = threads
        configuration.checkpointInterval = checkpointInterval
        return configuration
    }

    /// The Model library's form of the plan's LoRA fields.
    public var loraConfiguration: LoRAConfiguration {
        let targets: LoRAConfiguration.Targets
        switch lora.targetModules {
        case let .names(names): targets = .names(names)
        case let .pattern(pattern): targets = .pattern(pattern)
        }
        return LoRAConfiguration(rank: lora.r, alpha: Float(lora.alpha), targets: targets, dropout: Float(lora.dropout),
                                 useRSLoRA: lora.useRSLoRA, modulesToSave: lora.modulesToSave, freezeA: lora.ffa)
    }
}

extension JSONValue {
    /// An objective option as the trainer reads it: strings as they are, numbers in Swift's
    /// shortest form (`0.07`, `2`), booleans `true`/`false`, anything else as JSON-ish text.
    var optionText: String {
        switch self {
        case let .string(text): return text
        case let .number(value): return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case let .bool(value): return String(value)
        case .null: return "null"
        case let .array(values): return "[" + values.map(\.optionText).joined(separator: ",") + "]"
        case let .object(fields): return "{" + fields.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.optionText)" }.joined(separator: ",") + "}"
        }
    }
}
