import Foundation
import Model
import PlanBinding
import Protocols
import Security
import Tensor
import Training

/// One round as the site agent hands it to an external trainer (`[training] command`): the
/// `job.json` it writes, and the files on either side (docs/EXTERNAL_TRAINER.md).
///
/// In: the round's plan, the base model directory, the global adapter as a PEFT directory
/// (`adapter_config.json`, `adapter_model.safetensors`, and `objective_params.safetensors` when
/// the plan has objective tensors), the site's data directories, a checkpoint directory.
/// Out, in `output_directory`: the same three adapter files with every tensor of the plan's upload
/// list, and `metrics.json`, a JSON object of numbers whose `examples` is the count of distinct
/// training examples read (the site's weight in the federation); its other entries become the
/// round's metrics.
public struct ExternalTrainerJob: Codable, Equatable, Sendable {
    /// The site's data directories, as its configuration names them.
    public struct DataDirectories: Codable, Equatable, Sendable {
        public var labelled: String
        public var reports: String?
        public var unlabelled: String?
        public var test: String
        public var evaluationItems: Int

        enum CodingKeys: String, CodingKey {
            case labelled, reports, unlabelled, test, evaluationItems = "evaluation_items"
        }
    }

    /// The version of this layout; a trainer refuses a format it does not know.
    public static let currentFormat = "tessera-external-round/1"
    public static let fileName = "job.json"
    public static let metricsFileName = "metrics.json"
    /// The entry of `metrics.json` the update's sample count is read from.
    public static let examplesMetric = "examples"

    public var format: String
    public var round: Int
    public var site: String
    public var plan: TrainingPlan
    public var baseModel: String
    public var baseDigest: SHA256.Digest
    public var globalAdapter: String
    public var data: DataDirectories
    public var threads: Int
    /// Where the trainer keeps its checkpoints, so a rerun of the same job resumes.
    public var checkpointDirectory: String
    public var outputDirectory: String

    enum CodingKeys: String, CodingKey {
        case format, round, site, plan, baseModel = "base_model", baseDigest = "base_digest", globalAdapter = "global_adapter"
        case data, threads, checkpointDirectory = "checkpoint_directory", outputDirectory = "output_directory"
    }

    public init(round: Int, site: String, plan: TrainingPlan, baseModel: URL, baseDigest: SHA256.Digest,
                data: SiteConfiguration.DataDirectories, threads: Int, directory: URL, checkpointDirectory: URL) {
        format = Self.currentFormat
        self.round = round
        self.site = site
        self.plan = plan
        self.baseModel = baseModel.path
        self.baseDigest = baseDigest
        globalAdapter = directory.appendingPathComponent("global-adapter").path
        self.data = DataDirectories(labelled: data.labelled.path, reports: data.reports?.path, unlabelled: data.unlabelled?.path,
                                    test: data.test.path, evaluationItems: data.evaluationItems)
        self.threads = threads
        self.checkpointDirectory = checkpointDirectory.path
        outputDirectory = directory.appendingPathComponent("output").path
    }

    /// Reads a job file.
    /// - Throws: ``SiteAgentError/externalTrainerOutput(file:reason:)`` for a file that is not a job of this format.
    public init(contentsOf file: URL) throws {
        do {
            self = try WireJSON.decode(Self.self, from: Data(contentsOf: file))
        } catch {
            throw SiteAgentError.externalTrainerOutput(file: file.path, reason: "not a job file: \(error)")
        }
        guard format == Self.currentFormat else {
            throw SiteAgentError.externalTrainerOutput(file: file.path, reason: "format \(format), this trainer reads \(Self.currentFormat)")
        }
    }

    /// The data directories as the site agent's types hold them.
    public var dataDirectories: SiteConfiguration.DataDirectories {
        .init(labelled: URL(fileURLWithPath: data.labelled), reports: data.reports.map(URL.init(fileURLWithPath:)),
              unlabelled: data.unlabelled.map(URL.init(fileURLWithPath:)), test: URL(fileURLWithPath: data.test),
              evaluationItems: data.evaluationItems)
    }

    /// Writes `tensors` (named as the plan names them) as a PEFT adapter directory: LoRA factors
    /// and modules_to_save in `adapter_model.safetensors`, objective tensors in
    /// `objective_params.safetensors`, `adapter_config.json` from the plan's LoRA fields.
    static func writeAdapter(_ tensors: [NamedTensor], plan: TrainingPlan, to directory: URL) throws {
        func entries(_ selected: [NamedTensor]) -> [Safetensors.Entry] {
            selected.map { Safetensors.Entry.float32(name: $0.name, shape: $0.shape, values: $0.values) }
        }
        let objective = tensors.filter { AdapterTensorName.isObjective($0.name) }
        try LlavaModel.writeAdapter(entries(tensors.filter { !AdapterTensorName.isObjective($0.name) }), lora: plan.loraConfiguration,
                                    to: directory)
        let objectiveFile = directory.appendingPathComponent(objectiveParametersFileName)
        if objective.isEmpty {
            try? FileManager.default.removeItem(at: objectiveFile)  // try?: usually absent
        } else {
            try Data(Safetensors.encode(entries(objective), metadata: ["format": "pt"])).write(to: objectiveFile, options: .atomic)
        }
    }

    /// Reads the tensors of a PEFT adapter directory written by ``writeAdapter(_:plan:to:)`` or a
    /// trainer: `adapter_model.safetensors` and, when present, `objective_params.safetensors`.
    /// - Throws: ``SiteAgentError/externalTrainerOutput(file:reason:)`` for a missing or unreadable
    ///   file or a tensor name given twice.
    static func readAdapter(in directory: URL) throws -> [NamedTensor] {
        var files = [directory.appendingPathComponent("adapter_model.safetensors")]
        let objectiveFile = directory.appendingPathComponent(objectiveParametersFileName)
        if FileManager.default.fileExists(atPath: objectiveFile.path) { files.append(objectiveFile) }
        var tensors: [NamedTensor] = []
        for file in files {
            do {
                let contents = try SafetensorsFile(contentsOf: file)
                for name in contents.names {
                    tensors.append(NamedTensor(name: name, shape: try contents.info(name).shape, values: try contents.floats(name)))
                }
            } catch {
                throw SiteAgentError.externalTrainerOutput(file: file.path, reason: "\(error)")
            }
        }
        if let repeated = Dictionary(grouping: tensors, by: \.name).first(where: { $0.value.count > 1 })?.key {
            throw SiteAgentError.externalTrainerOutput(file: directory.path, reason: "tensor \(repeated) is in both files")
        }
        return tensors
    }

    static let objectiveParametersFileName = "objective_params.safetensors"
}

extension ExternalTrainerJob {
    /// Runs the job as the agent runs a round in process (``LocalRound``, checkpointing into the
    /// job's checkpoint directory), then writes the output the contract asks for: the plan's upload
    /// tensors as a PEFT adapter directory and `metrics.json`, last.
    /// - Throws: what ``LocalRound/run(globalAdapter:onStep:shouldStop:)`` throws,
    ///   ``SiteAgentError/externalTrainerOutput(file:reason:)`` for an unreadable global adapter,
    ///   and the system's error when the output cannot be written.
    public func trainInProcess(onStep: (LocalTrainer.StepRecord) -> Void = { _ in },
                               shouldStop: () -> Bool = { false }) throws -> LocalRound.Outcome {
        let global = try Self.readAdapter(in: URL(fileURLWithPath: globalAdapter))
        // The agent is the privacy boundary (it checks what it reads back); this guard only builds the update.
        let work = LocalRound(plan: plan, round: round, baseDirectory: URL(fileURLWithPath: baseModel), baseDigest: baseDigest,
                              data: SiteData(dataDirectories), threads: threads,
                              privacyGuard: PrivacyGuard(site: site, modulesToSaveAllowed: plan.lora.modulesToSave),
                              checkpointDirectory: URL(fileURLWithPath: checkpointDirectory))
        let outcome = try work.run(globalAdapter: global, onStep: onStep, shouldStop: shouldStop)
        let output = URL(fileURLWithPath: outputDirectory)
        try Self.writeAdapter(outcome.container.tensors, plan: plan, to: output)
        let metrics = outcome.metrics.merging([Self.examplesMetric: Double(outcome.container.header.sampleCount)]) { $1 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]  // numbers in their shortest form that reads back exactly
        try encoder.encode(metrics).write(to: output.appendingPathComponent(Self.metricsFileName), options: .atomic)
        return outcome
    }
}
