import ArgumentParser
import Foundation
import Reporting
import SiteAgent

/// `tessera-site status`: what the state directory says, with no network.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the current round known, each round's upload, receipt and local metrics, from the state directory (no network).")

    @OptionGroup var config: ConfigurationOption

    func run() throws {
        let configuration = try config.load()
        let state = SiteState(directory: configuration.stateDirectory)
        print("state directory \(state.directory.path)")
        if let seen = try state.currentRound() {
            let round = seen.round
            print("current round \(round.id): \(round.state.rawValue), deadline \(Self.time(round.deadline)), "
                  + "base \(round.baseDigest.hex.prefix(12)), seen \(Self.time(seen.seenAt))")
        } else {
            print("current round: none seen yet")
        }
        var table = ResultsTable(title: "rounds at this site", columns: [
            "round", "update bytes", "outcome", "update digest", "ledger seq", "samples", "train loss", "closed acc %", "open recall %",
        ])
        for round in try state.knownRounds() {
            let update = FileManager.default.fileExists(atPath: state.updateFile(round).path)
                ? try FileManager.default.attributesOfItem(atPath: state.updateFile(round).path)[.size] as? Int : nil
            let receipt = try state.receipt(round)
            let refusal = try state.refusal(round)
            let metrics = try state.metrics(round) ?? [:]
            let outcome = receipt != nil ? "accepted" : refusal.map { "refused: \($0.code)" } ?? (update != nil ? "stored, not yet accepted" : "training")
            func percent(_ key: String) -> ResultsTable.Cell { metrics[key].map { .number($0 * 100, decimals: 1) } ?? .missing }
            table.append([
                .integer(round), update.map(ResultsTable.Cell.integer) ?? .missing, .text(outcome),
                receipt.map { .text(String($0.digest.hex.prefix(16))) } ?? .missing, receipt.map { .integer($0.sequence) } ?? .missing,
                metrics["train.samples"].map { .integer(Int($0)) } ?? .missing,
                metrics["train.loss"].map { .number($0, decimals: 4) } ?? .missing, percent("eval.closed_accuracy"), percent("eval.open_recall"),
            ])
        }
        if let last = try state.knownRounds().last(where: { (try? state.receipt($0)) != nil }) {
            table.notes.append("last accepted upload: round \(last), receipt \(state.receiptFile(last).path)")
        }
        print(table.rendered(as: .text), terminator: "")
    }

    static func time(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
