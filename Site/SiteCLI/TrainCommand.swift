import ArgumentParser
import Foundation
import PlanBinding
import Protocols
import Reporting
import Security
import SiteAgent
import Training

/// `tessera-site train --once`: one round's local training, offline.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Run one round's local training offline from a plan JSON file; write the update container that would be uploaded.",
        discussion: """
            Uses the configuration's base model (or --base) and labelled data, evaluates on its test split, \
            and applies the same privacy guard as `run`. Nothing is sent.
            """)

    @OptionGroup var config: ConfigurationOption

    @Flag(help: "Run exactly one round (the only mode; required so the command line says so).")
    var once = false

    @Option(help: ArgumentHelp("The round's training plan (JSON, as in GET /v1/rounds/current's `plan`).", valueName: "PLAN.json"))
    var plan: String

    @Option(help: ArgumentHelp("The global adapter container (.tcz) to start from (default: round 0's adapter from the plan's seed).", valueName: "FILE"))
    var adapter: String?

    @Option(help: ArgumentHelp("The base model directory (default: [model] base of the configuration, else the one the agent downloaded for the last round it saw).", valueName: "DIR"))
    var base: String?

    @Option(help: "The round number written in the update header; it also selects the site's seed (default: 1).")
    var round = 1

    @Option(help: ArgumentHelp("Where to write the update container.", valueName: "FILE"))
    var out: String

    func validate() throws {
        guard once else { throw ValidationError("pass --once: train runs one round offline (tessera-site run takes part in the federation)") }
        guard round >= 1 else { throw ValidationError("--round must be ≥ 1") }
    }

    func run() throws {
        let configuration = try config.load()
        try configuration.checkPaths()
        let site = try SiteAgent.siteID(certificate: configuration.bundle.certificate)
        let plan = try OfflineInputs.plan(at: self.plan)
        let baseDirectory = try OfflineInputs.baseDirectory(base, configuration: configuration)
        let baseDigest = try BaseModelDirectory(baseDirectory).digest()
        let global = try adapter.map { try OfflineInputs.adapter(at: $0, plan: plan) }
        let work = LocalRound(plan: plan, round: round, baseDirectory: baseDirectory, baseDigest: baseDigest,
                              data: SiteData(configuration.data), threads: configuration.threads,
                              privacyGuard: PrivacyGuard(site: site, modulesToSaveAllowed: configuration.modulesToSaveAllowed))
        let progress = ProgressLine()
        let outcome = try work.run(globalAdapter: global) { progress.update(stage: "round \(round) train", record: $0, total: plan.schedule.steps) }
        progress.finish()
        for note in outcome.dataNotes { print("training data: \(note)") }
        let encoded = try outcome.container.encoded()
        try AtomicFile.write(encoded.bytes, to: URL(fileURLWithPath: out), permissions: 0o644, replacing: true)
        let metrics = outcome.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.4f", $0.value))" }
        print("wrote \(out): round \(round), site \(site), \(outcome.container.header.sampleCount) examples, "
              + "\(encoded.bytes.count) bytes, digest \(encoded.digest.hex)")
        print(metrics.joined(separator: ", "))
    }
}
