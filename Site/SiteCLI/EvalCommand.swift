import ArgumentParser
import Foundation
import Model
import PlanBinding
import SiteAgent

/// `tessera-site eval`: VQA accuracy on the site's test split, offline.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate the base model, or it with an adapter container, on this site's test split (closed/open VQA metrics).")

    @OptionGroup var config: ConfigurationOption

    @Option(help: ArgumentHelp("An adapter container (.tcz: a global adapter from the state directory, or an update).", valueName: "FILE"))
    var adapter: String?

    @Option(help: ArgumentHelp("The plan the adapter belongs to (default: the plan of the last round seen, from the state directory).", valueName: "PLAN.json"))
    var plan: String?

    @Option(help: ArgumentHelp("The base model directory (default: [model] base of the configuration, else the one the agent downloaded for the last round it saw).", valueName: "DIR"))
    var base: String?

    @Option(help: "Test questions to answer (default: data.evaluation_items of the configuration).")
    var items: Int?

    func validate() throws {
        guard (items ?? 1) >= 1 else { throw ValidationError("--items must be at least 1") }
    }

    func run() throws {
        var configuration = try config.load()
        if let items { configuration.data.evaluationItems = items }
        try configuration.checkPaths()
        let baseDirectory = try OfflineInputs.baseDirectory(base, configuration: configuration)
        let model = try LlavaModel.load(from: baseDirectory)
        let tokenizer = try BPETokenizer(contentsOf: baseDirectory.appendingPathComponent("tokenizer.json"))
        if let adapter {
            let plan = try self.plan.map(OfflineInputs.plan) ?? SiteState(directory: configuration.stateDirectory).currentRound()?.round.plan
            guard let plan else {
                throw OfflineInputError(file: adapter, reason: "no plan to read it with: pass --plan, or run the agent once so the state directory knows a round")
            }
            try model.applyGlobalAdapter(try OfflineInputs.adapter(at: adapter, plan: plan), plan: plan)
        }
        let data = SiteData(configuration.data)
        let result = try data.evaluate(model: model, tokenizer: tokenizer, threads: configuration.threads)
        print(result.evaluation.table(title: "VQA \(data.testFile.path)" + (adapter.map { " with \($0)" } ?? "")).rendered(as: .text), terminator: "")
    }
}
