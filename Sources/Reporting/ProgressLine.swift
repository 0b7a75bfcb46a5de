import Foundation

/// Training progress on standard error: one line rewritten in place on a terminal (stage, step,
/// loss, learning rate, throughput, ETA), one JSON object per step otherwise.
///
/// ```swift
/// let progress = ProgressLine()
/// progress.update(stage: "train", step: 3, total: 30, loss: 2.41, learningRate: 1e-3,
///                 tokensPerSecond: 900, secondsPerStep: 0.8)
/// progress.finish()
/// ```
public final class ProgressLine {
    /// Whether standard error is a terminal (lines are rewritten in place only there).
    public let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastStage = ""

    public init() {}

    /// Shows step `step` of `total`; the ETA is `secondsPerStep × (total − step)`.
    /// - Parameter details: further values for the JSON lines (gradient norm, loss components), in order.
    public func update(stage: String, step: Int, total: Int, loss: Float, learningRate: Float, tokensPerSecond: Double,
                       secondsPerStep: Double, details: [(name: String, value: Double)] = []) {
        if isTerminal {
            let eta = secondsPerStep * Double(max(0, total - step))
            let line = String(format: "\r%@ step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  ETA %.0f s   ",
                              stage, step, total, loss, learningRate, tokensPerSecond, eta)
            if stage != lastStage && !lastStage.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            var fields = ["\"stage\":\(stage.jsonQuoted)", "\"step\":\(step)", "\"loss\":\(loss)",
                          "\"learning_rate\":\(learningRate)", "\"tokens_per_second\":\(Int(tokensPerSecond))"]
            fields += details.map { "\($0.name.jsonQuoted):\($0.value)" }
            FileHandle.standardError.write(Data(("{" + fields.joined(separator: ",") + "}\n").utf8))
        }
        lastStage = stage
    }

    /// Ends the line on a terminal.
    public func finish() {
        if isTerminal && !lastStage.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
        lastStage = ""
    }
}
