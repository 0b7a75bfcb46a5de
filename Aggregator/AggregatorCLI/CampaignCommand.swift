import AggregatorCore
import ArgumentParser
import Foundation
import Model
import PlanBinding
import Protocols

/// `tessera-aggregator campaign start|template`.
struct CampaignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign", abstract: "Start a campaign, or print a campaign file to start from.",
        subcommands: [Start.self, Template.self, Plan.self])

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store the base model, publish the starting adapter from the plan's seed and open the campaign's first round.",
            discussion: "The running server then runs the campaign's rounds one after another.")

        @OptionGroup var options: ConfigOption

        @Option(help: ArgumentHelp("The base model directory (config.json, model.safetensors, tokenizer.json).", valueName: "DIR"))
        var base: String

        @Option(help: ArgumentHelp("The campaign file (TOML): name, rounds and the plan.", valueName: "FILE"))
        var plan: String

        func run() throws {
            let aggregator = try Opening.aggregator(options)
            let definition = try CampaignDefinition(contentsOf: URL(fileURLWithPath: plan))
            let (campaign, round) = try aggregator.startCampaign(baseDirectory: URL(fileURLWithPath: base), definition: definition, source: plan)
            if let warning = CampaignDefinition.uploadLimitWarning(try campaign.decodedPlan()) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
            print("campaign \(campaign.name) started: base \(campaign.baseDigest), \(campaign.rounds) rounds; round \(round.id) open until \(round.deadline) for \(round.eligibleSites.count) sites")
        }
    }

    struct Template: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a commented campaign file with every plan field.")
        func run() { print(CampaignDefinition.exampleTOML()) }
    }

    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the training plan a campaign file makes for a base model (JSON, tensor lists derived).",
            discussion: "What sites receive each round; `tessera-site train --once --plan FILE` takes it to train offline.")

        @Option(help: ArgumentHelp("The base model directory.", valueName: "DIR"))
        var base: String

        @Option(help: ArgumentHelp("The campaign file (TOML).", valueName: "FILE"))
        var plan: String

        func run() throws {
            let description = try BaseModelDescription(modelDirectory: URL(fileURLWithPath: base))
            let derived = try CampaignDefinition(contentsOf: URL(fileURLWithPath: plan)).plan(for: description, source: plan)
            if let warning = CampaignDefinition.uploadLimitWarning(derived) { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
            print(String(decoding: try WireJSON.encode(derived), as: UTF8.self))
        }
    }
}
