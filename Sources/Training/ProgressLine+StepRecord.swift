import Reporting

extension ProgressLine {
    /// Shows a trainer's step record: loss, learning rate, throughput and ETA; the gradient norm
    /// and the loss components go to the JSON lines.
    public func update(stage: String, record: LocalTrainer.StepRecord, total: Int) {
        let components = record.components.sorted { $0.key < $1.key }.map { (name: $0.key, value: Double($0.value)) }
        update(stage: stage, step: record.step, total: total, loss: record.loss, learningRate: record.learningRate,
               tokensPerSecond: record.tokensPerSecond, secondsPerStep: record.seconds,
               details: [(name: "gradient_norm", value: Double(record.gradientNorm))] + components)
    }
}
