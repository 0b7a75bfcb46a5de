import Foundation
import Training

/// Training progress: a line rewritten in place on a terminal, one JSON line per step otherwise.
final class ProgressLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastStage = ""

    func update(stage: String, record: LocalTrainer.StepRecord, total: Int) {
        if isTerminal {
            let eta = record.seconds * Double(max(0, total - record.step))
            let line = String(format: "\r%@ step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  ETA %.0f s   ",
                              stage, record.step, total, record.loss, record.learningRate, record.tokensPerSecond, eta)
            if stage != lastStage && !lastStage.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
            FileHandle.standardError.write(Data(line.utf8))
        } else {
            var fields = ["\"stage\":\"\(stage)\"", "\"step\":\(record.step)", "\"loss\":\(record.loss)",
                          "\"learning_rate\":\(record.learningRate)", "\"gradient_norm\":\(record.gradientNorm)",
                          "\"tokens_per_second\":\(Int(record.tokensPerSecond))"]
            fields += record.components.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }
            FileHandle.standardError.write(Data(("{" + fields.joined(separator: ",") + "}\n").utf8))
        }
        lastStage = stage
    }

    func finish() {
        if isTerminal && !lastStage.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
