import AggregatorCore
import ArgumentParser
import Foundation
import Reporting

/// `tessera-aggregator rounds list|show|open|close`.
struct RoundsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rounds", abstract: "Inspect rounds, or open and close them by hand.",
        subcommands: [List.self, Show.self, Open.self, Close.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every round: state, updates, adapter digests.")
        @OptionGroup var options: ConfigOption
        @Option(help: "text or json.") var format: ResultsTable.Format = .text

        func run() throws {
            let aggregator = try Opening.aggregator(options)
            var table = ResultsTable(title: "rounds", columns: ["round", "state", "updates", "quorum", "starts from", "published", "failure"])
            for round in try aggregator.rounds().reversed() {
                table.append([.integer(round.id), .text(round.state.rawValue), .integer(try aggregator.updates(round: round.id).count),
                              .integer(round.quorum), round.globalDigest.map { .text(String($0.prefix(12))) } ?? .missing,
                              round.resultDigest.map { .text(String($0.prefix(12))) } ?? .missing, round.failure.map { .text($0) } ?? .missing])
            }
            print(table.rendered(as: format))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One round and its accepted updates.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The round id.") var round: Int
        @Option(help: "text or json.") var format: ResultsTable.Format = .text

        func run() throws {
            let aggregator = try Opening.aggregator(options)
            let record = try aggregator.round(round)
            var table = ResultsTable(title: "round \(record.id): \(record.state.rawValue)", columns: ["site", "samples", "bytes", "step norm", "digest"])
            for update in try aggregator.updates(round: round) {
                table.append([.text(update.site), .integer(update.samples), .integer(update.bytes),
                              update.stepNorm.map { .number($0, decimals: 4) } ?? .missing, .text(update.digest)])
            }
            table.notes = ["opened \(record.openedAt), deadline \(record.deadline), quorum \(record.quorum), eligible: \(record.eligibleSites.joined(separator: ", "))"]
            if let result = record.resultDigest { table.notes.append("published \(result)") }
            if let failure = record.failure { table.notes.append("failed: \(failure)") }
            print(table.rendered(as: format))
        }
    }

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "After a campaign finished: open one more round from its last adapter.")
        @OptionGroup var options: ConfigOption

        func run() throws {
            let round = try Opening.aggregator(options).openExtraRound()
            print("round \(round.id) open until \(round.deadline) for \(round.eligibleSites.count) sites")
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close collection of a round now: the server aggregates it if the quorum is met, else it fails.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The round id.") var round: Int

        func run() throws {
            try Opening.aggregator(options).requestClose(round: round)
            print("round \(round): close requested; the running server closes it within a second")
        }
    }
}

extension ResultsTable.Format: ExpressibleByArgument {}
