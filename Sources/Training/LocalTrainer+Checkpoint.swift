import Foundation
import Model
import Tensor

/// Checkpoints and outputs. A checkpoint directory holds `trained.safetensors` (every trained
/// tensor by name: adapters, modules_to_save, objectives' own parameters, or whole modules),
/// `optimizer.safetensors` (AdamW's moments and step) and
/// `trainer_state.json` (`{"step": k, "seed": s, "batch_size": b, "data": "…", "examples_seen": […]}`,
/// `data` a fingerprint of the training examples' ids in order); it is written beside the
/// old one and swapped in by rename, so a kill at any moment leaves one whole checkpoint.
extension LocalTrainer {
    struct State: Codable {
        var step: Int
        var seed: UInt64
        /// Absent in checkpoints of earlier builds, which are resumed without these two checks.
        var batchSize: Int?
        var data: String?
        var examplesSeen: [Int]

        enum CodingKeys: String, CodingKey {
            case step, seed, data
            case batchSize = "batch_size"
            case examplesSeen = "examples_seen"
        }
    }

    /// FNV-1a (64 bits) over the examples' ids in order, each ended by a zero byte: the batches a
    /// seed draws are positions in this list, so a checkpoint only fits the same list.
    var dataFingerprint: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for id in examples.map(\.id) {
            for byte in id.utf8 + [0] {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
            }
        }
        return String(hash, radix: 16)
    }

    /// Writes a checkpoint of the current step into `directory`.
    /// - Throws: ``TrainingError/checkpointWriteFailed(directory:reason:)`` (a full disk, for one),
    ///   with the previous checkpoint, if any, kept and nothing of the new one left.
    public func saveCheckpoint(to directory: URL) throws {
        let fileManager = FileManager.default
        let staging = directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + ".partial")
        try? fileManager.removeItem(at: staging)  // a leftover of a killed write, if any
        let state = State(step: step, seed: configuration.seed, batchSize: configuration.batchSize, data: dataFingerprint,
                          examplesSeen: Array(seenExamples).sorted())
        let files = [
            ("trained.safetensors", Data(Safetensors.encode(parameters.map { Safetensors.Entry.float32($0.tensor, name: $0.name) }))),
            ("optimizer.safetensors", Data(optimizer.state.encoded())),
            ("trainer_state.json", try JSONEncoder().encode(state)),
        ]
        do {
            try CheckpointFiles.createDirectory(staging)
            for (name, data) in files { try CheckpointFiles.write(data, to: staging.appendingPathComponent(name)) }
        } catch {
            try? fileManager.removeItem(at: staging)  // try?: the failure being reported may also stop this
            throw TrainingError.checkpointWriteFailed(directory: directory.path, reason: error.reason)
        }
        let old = directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + ".old")
        try? fileManager.removeItem(at: old)
        if fileManager.fileExists(atPath: directory.path) { try fileManager.moveItem(at: directory, to: old) }
        try fileManager.moveItem(at: staging, to: directory)
        try? fileManager.removeItem(at: old)
        lastCheckpoint = directory.path
    }

    /// Whether `directory` holds a checkpoint to resume from. A kill between the two renames of
    /// ``saveCheckpoint(to:)`` leaves the previous checkpoint in `.old` and the complete new one
    /// in `.partial` (staged in full before the first rename); that swap is finished here first.
    public static func hasCheckpoint(in directory: URL) -> Bool {
        let fileManager = FileManager.default
        let parent = directory.deletingLastPathComponent(), name = directory.lastPathComponent
        let staging = parent.appendingPathComponent(name + ".partial"), old = parent.appendingPathComponent(name + ".old")
        if !fileManager.fileExists(atPath: directory.path), fileManager.fileExists(atPath: old.path),
           fileManager.fileExists(atPath: staging.appendingPathComponent("trainer_state.json").path) {
            try? fileManager.moveItem(at: staging, to: directory)  // try?: on failure nothing moved, and the check below says so
        }
        if !fileManager.fileExists(atPath: directory.path), fileManager.fileExists(atPath: old.path) {
            try? fileManager.moveItem(at: old, to: directory)  // the previous checkpoint, if the new one was not whole
        }
        return fileManager.fileExists(atPath: directory.appendingPathComponent("trainer_state.json").path)
    }

    /// Continues from a checkpoint written by ``saveCheckpoint(to:)`` with the same configuration.
    /// - Throws: ``TrainingError/checkpointOfOtherRun(file:reason:)`` when it was written with
    ///   another seed, batch size or list of training examples, or past this run's steps;
    ///   ``TrainingError/checkpointMismatch(file:reason:)`` when it is unreadable or does not fit the model.
    public func resume(from directory: URL) throws {
        let stateFile = directory.appendingPathComponent("trainer_state.json")
        let state: State
        do {
            state = try JSONDecoder().decode(State.self, from: Data(contentsOf: stateFile))
        } catch {
            throw TrainingError.checkpointMismatch(file: stateFile.path, reason: "unreadable trainer state: \(error)")
        }
        guard state.seed == configuration.seed else {
            throw TrainingError.checkpointOfOtherRun(file: stateFile.path, reason: "seed \(state.seed), this run's is \(configuration.seed)")
        }
        guard state.step <= configuration.steps else {
            throw TrainingError.checkpointOfOtherRun(file: stateFile.path, reason: "step \(state.step) is past this run's \(configuration.steps) steps")
        }
        if let batchSize = state.batchSize, batchSize != configuration.batchSize {
            throw TrainingError.checkpointOfOtherRun(file: stateFile.path, reason: "batch size \(batchSize), this run's is \(configuration.batchSize)")
        }
        if let data = state.data, data != dataFingerprint {
            throw TrainingError.checkpointOfOtherRun(
                file: stateFile.path, reason: "written for other training data (fingerprint \(data)); this run's \(examples.count) examples give \(dataFingerprint)")
        }
        // Everything is read before anything is set, so a damaged checkpoint (a file cut short by
        // a power loss) leaves this trainer as it was, to start over. The values go into the
        // tensors this trainer (and its optimizer) already holds.
        let values: [[Float]]
        let trainedFile = directory.appendingPathComponent("trained.safetensors")
        let optimizerFile = directory.appendingPathComponent("optimizer.safetensors")
        do {
            let trained = try SafetensorsFile(contentsOf: trainedFile)
            values = try parameters.map { name, tensor in
                guard let info = trained.tensors[name], info.shape == tensor.shape else {
                    throw TrainingError.checkpointMismatch(file: trained.source, reason: "tensor \(name) is missing or has another shape")
                }
                return try trained.floats(name)
            }
        } catch {
            throw Self.damaged(trainedFile, error)
        }
        do {
            try optimizer.restore(OptimizerState(decoding: SafetensorsFile(contentsOf: optimizerFile)))
        } catch {
            throw Self.damaged(optimizerFile, error)
        }
        for ((_, tensor), value) in zip(parameters, values) { tensor.values = value }
        restore(step: state.step, seen: state.examplesSeen)
        lastCheckpoint = directory.path
    }

    /// The error to throw for a checkpoint file that did not read: ``TrainingError/checkpointMismatch(file:reason:)``
    /// when the file is missing or its content is wrong (a power loss can cut it short), the error
    /// itself when the file is there and reading failed (an I/O error: the checkpoint may be whole,
    /// and a later attempt can read it).
    private static func damaged(_ file: URL, _ error: any Error) -> any Error {
        if error is TrainingError { return error }
        if case .unreadable? = error as? SafetensorsError, FileManager.default.fileExists(atPath: file.path) { return error }
        return TrainingError.checkpointMismatch(file: file.path, reason: "\(error)")
    }

    /// Writes the run's result and `metrics.json`: the PEFT adapter directory (or, for a run that
    /// trains whole modules, the model in HF's format), with `objective_params.safetensors` beside
    /// it when an objective trains tensors of its own.
    ///
    /// Everything is first written to a staging directory inside `directory`, then each file is
    /// renamed into place, so a failed write (a full disk, for one) leaves `directory` as it was.
    /// - Parameter checkpoint: a checkpoint holding this run, named in the error.
    /// - Throws: ``TrainingError/outputWriteFailed(directory:reason:checkpoint:)`` with the system's reason.
    public func saveOutputs(to directory: URL, metrics: [String: Double], checkpoint: URL? = nil) throws {
        var all = metrics
        all["steps"] = Double(step)
        all["examples"] = Double(distinctExamplesSeen)
        let staging = try Self.makeOutputStaging(in: directory, checkpoint: checkpoint)
        do {
            if trainsInFull { try model.save(to: staging) } else { try model.saveAdapter(to: staging) }
            if objectives.contains(where: { !$0.objective.parameters.isEmpty }) {
                try writeObjectiveParameters(to: staging.appendingPathComponent("objective_params.safetensors"))
            }
            try CheckpointFiles.write(try JSONSerialization.data(withJSONObject: all, options: [.prettyPrinted, .sortedKeys]),
                                      to: staging.appendingPathComponent("metrics.json"))
            for name in try FileManager.default.contentsOfDirectory(atPath: staging.path) {
                try CheckpointFiles.rename(staging.appendingPathComponent(name), to: directory.appendingPathComponent(name))
            }
            try FileManager.default.removeItem(at: staging)
        } catch {
            try? FileManager.default.removeItem(at: staging)  // try?: the failure being reported may also stop this
            throw TrainingError.outputWriteFailed(directory: directory.path, reason: CheckpointFiles.Failure(error).reason,
                                                  checkpoint: checkpoint?.path)
        }
    }

    /// Creates `directory` when missing and checks that files can be made there: run before a
    /// long training so that an output path that cannot work fails at once, not after the run.
    /// - Throws: ``TrainingError/outputWriteFailed(directory:reason:checkpoint:)`` with the system's reason.
    public static func prepareOutputs(in directory: URL, checkpoint: URL? = nil) throws {
        let staging = try makeOutputStaging(in: directory, checkpoint: checkpoint)
        try? FileManager.default.removeItem(at: staging)  // try?: an empty directory just made
    }

    /// Creates `directory` when missing and an empty staging directory inside it, and returns the latter.
    /// - Throws: ``TrainingError/outputWriteFailed(directory:reason:checkpoint:)`` with the system's reason.
    private static func makeOutputStaging(in directory: URL, checkpoint: URL?) throws -> URL {
        let staging = directory.appendingPathComponent(".tessera-outputs.partial")
        do {
            try CheckpointFiles.createDirectory(directory)
            try? FileManager.default.removeItem(at: staging)  // a leftover of a killed write, if any
            try CheckpointFiles.createDirectory(staging)
        } catch {
            throw TrainingError.outputWriteFailed(directory: directory.path, reason: CheckpointFiles.Failure(error).reason,
                                                  checkpoint: checkpoint?.path)
        }
        return staging
    }

    private func writeObjectiveParameters(to file: URL) throws {
        let entries = objectives.flatMap { $0.objective.parameters }.map { Safetensors.Entry.float32($0.tensor, name: $0.name) }
        try Data(Safetensors.encode(entries, metadata: ["format": "pt"])).write(to: file, options: .atomic)
    }
}
