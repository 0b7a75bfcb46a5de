import AggregatorCore
import ArgumentParser
import Foundation
import Reporting

/// `tessera-aggregator status`: the campaign, current round, sites and last rejections.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the campaign, the current round, the sites and the last errors.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let aggregator = try Opening.aggregator(options)
        guard let round = try aggregator.currentRound() else {
            print("no campaign has started; sites enrolled: \(try aggregator.sites().filter { $0.revokedAt == nil }.count)")
            return
        }
        let campaign = try aggregator.campaign(of: round)
        let updates = try aggregator.updates(round: round.id)
        print("campaign \(campaign.name): round \(round.id - campaign.initialRound) of \(campaign.rounds)\(campaign.finishedAt == nil ? "" : " (finished)")")
        print("round \(round.id): \(round.state.rawValue), \(updates.count)/\(round.eligibleSites.count) updates, quorum \(round.quorum), deadline \(round.deadline)")
        var table = ResultsTable(title: "sites", columns: ["site", "state", "update this round", "last rejection"])
        let rejections = try aggregator.lastRejections()
        for site in try aggregator.sites() {
            table.append([.text(site.id), .text(site.revokedAt == nil ? "enrolled" : "revoked"),
                          .text(updates.contains { $0.site == site.id } ? "accepted" : "-"),
                          rejections[site.id].map { .text($0) } ?? .missing])
        }
        print(table.rendered(as: .text))
    }
}
