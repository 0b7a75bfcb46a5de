import Foundation
import Logging
import Reporting
import Training

/// A round's training progress for hospital IT: a line with round, step, loss and ETA rewritten
/// in place on a terminal, or a log line at every tenth of the steps (and the last) otherwise.
///
/// `@unchecked Sendable`: it is handed to the training thread, which alone calls ``report(_:)``;
/// ``finish()`` is called after that thread has ended. No lock is needed for that hand-over.
final class TrainingProgress: @unchecked Sendable {
    private let round: Int
    private let steps: Int
    private let logger: Logger
    private let line: ProgressLine?

    init(round: Int, steps: Int, logger: Logger, showsLine: Bool) {
        self.round = round
        self.steps = steps
        self.logger = logger
        line = showsLine ? ProgressLine() : nil
    }

    func report(_ record: LocalTrainer.StepRecord) {
        if let line {
            line.update(stage: "round \(round) train", record: record, total: steps)
            return
        }
        let every = max(1, steps / 10)
        guard record.step % every == 0 || record.step == steps else { return }
        logger.info("training", metadata: [
            "round.id": "\(round)", "train.step": "\(record.step)", "train.steps": "\(steps)",
            "train.loss": "\(record.loss)", "train.eta_s": "\(Int(record.seconds * Double(steps - record.step)))",
        ])
    }

    func finish() {
        line?.finish()
    }
}
