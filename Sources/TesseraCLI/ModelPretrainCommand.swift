import ArgumentParser
import Foundation
import Model
import Reporting
import Security
import Training

/// `tessera model pretrain`: build a base model of a preset from MedSynth's public split.
struct ModelPretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Build a base model (tokenizer, language, vision, projector, instruction stages) from public data.",
        discussion: """
            Reads DATA/public/llava_instruct.json, DATA/public/vqa.json and DATA/public/reports.jsonl (the \
            layout `tessera data synth` writes); instruction tuning mixes the conversations with the VQA \
            questions, so the base model also learns to answer briefly. Each stage checkpoints into --work, so a stopped build resumes; the model \
            (config.json, model.safetensors, tokenizer.json) is written to --out.
            """
    )

    @Option(help: "Preset: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: ModelPreset = .demo

    @Option(help: "MedSynth data directory (with public/).")
    var data: String

    @Option(help: "Output model directory.")
    var out: String

    @Option(help: "Work directory for stage checkpoints (default: OUT.work).")
    var work: String?

    @Option(help: "Seed of the weights and data order.")
    var seed: UInt64 = 0

    @Option(help: "Multiply every stage's steps by this factor.")
    var stepScale = 1.0

    func run() throws {
        let results = try Self.build(preset: preset, data: URL(fileURLWithPath: data), out: URL(fileURLWithPath: out),
                                     work: URL(fileURLWithPath: work ?? out + ".work"), seed: seed, stepScale: stepScale)
        var table = ResultsTable(title: "base model \(preset.rawValue) → \(out)", columns: ["stage", "steps", "seconds", "first loss", "last loss"])
        for result in results {
            table.append([.text(result.name), .integer(result.steps), .number(result.seconds, decimals: 1),
                          .number(Double(result.firstLoss), decimals: 3), .number(Double(result.lastLoss), decimals: 3)])
        }
        print(table.rendered(as: .text), terminator: "")
    }

    /// The base model of `preset` for MedSynth data of `seed` in the cache directory
    /// (`base-PRESET-sSEED-iSIZE[-xSCALE]-bBUILD`, `-xSCALE` for a scaled recipe), built from `data`
    /// by the recipe when missing: what `tessera demo` and the accuracy benchmarks start from.
    /// `BUILD` fingerprints this executable: another build's kernels may round differently, and
    /// the recipe amplifies last bits, so its base model is not reused; building one removes the
    /// other builds' bases of the same key.
    static func cached(preset: ModelPreset, data: URL, cache: URL, seed: UInt64, stepScale: Double = 1) throws -> URL {
        let key = "base-\(preset.rawValue)-s\(seed)-i\(preset.configuration.vision.imageSize)" + (stepScale == 1 ? "" : "-x\(stepScale)")
        let cached = cache.appendingPathComponent("\(key)-b\(try buildFingerprint())")
        if FileManager.default.fileExists(atPath: cached.appendingPathComponent("tokenizer.json").path),
           FileManager.default.fileExists(atPath: cached.appendingPathComponent("model.safetensors").path) {
            print("   using the cached base model \(cached.path)")
            return cached
        }
        print("   building the \(preset.rawValue) base model into \(cached.path)")
        let work = URL(fileURLWithPath: cached.path + ".work")
        _ = try build(preset: preset, data: data, out: cached, work: work, seed: seed, stepScale: stepScale)
        try? FileManager.default.removeItem(at: work)  // try?: only checkpoints
        let stale = (try? FileManager.default.contentsOfDirectory(atPath: cache.path))?
            .filter { $0.hasPrefix("\(key)-b") && $0 != cached.lastPathComponent } ?? []
        for name in stale { try? FileManager.default.removeItem(at: cache.appendingPathComponent(name)) }  // try?: a cache
        return cached
    }

    /// The first 12 hex digits of this executable's SHA-256.
    static func buildFingerprint() throws -> String {
        let executable = try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe"), options: .alwaysMapped)
        return String(try SHA256.hash(executable).hex.prefix(12))
    }

    /// Builds a base model from `data`/public with a progress line: what `pretrain` and `tessera demo` run.
    static func build(preset: ModelPreset, data: URL, out: URL, work: URL, seed: UInt64, stepScale: Double) throws -> [BaseModelRecipe.StageResult] {
        let imageSize = preset.configuration.vision.imageSize
        let publicDirectory = data.appendingPathComponent("public")
        let instructions = try ExampleLoader.instructions(file: publicDirectory.appendingPathComponent("llava_instruct.json").path, imageSize: imageSize).examples
        let questions = try ExampleLoader.questions(vqaFile: publicDirectory.appendingPathComponent("vqa.json").path, imageSize: imageSize).examples
        let captioned = try ExampleLoader.captioned(reportsFile: publicDirectory.appendingPathComponent("reports.jsonl").path, imageSize: imageSize)
        let corpus = captioned.flatMap(\.answers) + instructions.flatMap { $0.turns.map(\.text) }
        var recipe = BaseModelRecipe(preset: preset, seed: seed)
        for index in recipe.stages.indices {
            recipe.stages[index].steps = Swift.max(1, Int((Double(recipe.stages[index].steps) * stepScale).rounded()))
        }
        let progress = ProgressLine()
        defer { progress.finish() }
        return try recipe.build(data: .init(corpus: corpus, captioned: captioned, instructions: instructions + questions),
                                workDirectory: work, output: out) { stage, record in
            progress.update(stage: stage, record: record, total: recipe.stages.first { $0.name == stage }?.steps ?? 0)
        }
    }
}
