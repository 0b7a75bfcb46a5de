import Foundation

/// How the learning rate moves over a run, as HF transformers' schedules.
public enum LearningRateSchedule: Equatable, Sendable {
    /// Linear warm-up from 0, then constant (`get_constant_schedule_with_warmup`).
    case constant(warmupSteps: Int)
    /// Linear warm-up from 0, then half a cosine down to 0 at `totalSteps`
    /// (`get_cosine_schedule_with_warmup`): `½ (1 + cos(π · progress))`.
    case cosine(warmupSteps: Int, totalSteps: Int)

    /// The multiplier of the base learning rate for the 0-based `step`.
    public func factor(atStep step: Int) -> Float {
        switch self {
        case .constant(let warmup):
            return step < warmup ? Float(step) / Float(Swift.max(1, warmup)) : 1
        case .cosine(let warmup, let total):
            if step < warmup { return Float(step) / Float(Swift.max(1, warmup)) }
            let progress = Double(step - warmup) / Double(Swift.max(1, total - warmup))
            return Float(Swift.max(0, 0.5 * (1 + cos(Double.pi * progress))))
        }
    }
}
