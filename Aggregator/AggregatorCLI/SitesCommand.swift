import AggregatorCore
import ArgumentParser
import Foundation
import Reporting

/// `tessera-aggregator sites enrol|revoke|list`.
struct SitesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sites", abstract: "Enrol, revoke and list sites; each change is a ledger entry.",
        subcommands: [Enrol.self, Revoke.self, List.self])

    struct Enrol: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol sites by their certificates (from `tessera ca issue-site` or `sign-csr`).",
            discussion: "A certificate must chain to the consortium CA and carry client authentication; its CN is the site id. Applies from the site's next connection.")
        @OptionGroup var options: ConfigOption
        @Option(parsing: .upToNextOption, help: ArgumentHelp("Site certificate files (PEM).", valueName: "FILE"))
        var cert: [String]

        func validate() throws {
            guard !cert.isEmpty else { throw ValidationError("give at least one --cert FILE") }
        }

        func run() throws {
            let aggregator = try Opening.aggregator(options)
            for file in cert {
                switch try aggregator.enrol(certificateFile: URL(fileURLWithPath: file)) {
                case let .enrolled(site): print("enrolled \(site)")
                case let .replaced(site): print("enrolled a new certificate for \(site)")
                case let .alreadyEnrolled(site): print("\(site) is already enrolled with this certificate")
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a site: its certificate is refused from the next handshake on.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The site id (its certificate's CN).") var site: String?
        @Option(help: "Why, recorded in the ledger.") var reason = "revoked by the operator"
        @Option(help: ArgumentHelp("Import the CA's CRL (from `tessera ca revoke`) instead: every serial it lists is refused.", valueName: "FILE"))
        var importCRL: String?

        func validate() throws {
            guard (site == nil) != (importCRL == nil) else { throw ValidationError("give --site ID or --import-crl FILE") }
        }

        func run() throws {
            let aggregator = try Opening.aggregator(options)
            if let site {
                try aggregator.revoke(site: site, reason: reason)
                print("revoked \(site)")
            } else if let importCRL {
                let sites = try aggregator.importRevocationList(URL(fileURLWithPath: importCRL))
                print(sites.isEmpty ? "imported \(importCRL); no enrolled site was affected" : "imported \(importCRL); revoked \(sites.joined(separator: ", "))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every enrolled site and its certificate.")
        @OptionGroup var options: ConfigOption
        @Option(help: "text or json.") var format: ResultsTable.Format = .text

        func run() throws {
            var table = ResultsTable(title: "sites", columns: ["site", "serial", "enrolled", "revoked", "reason"])
            for site in try Opening.aggregator(options).sites() {
                table.append([.text(site.id), .text(site.serial), .text("\(site.enrolledAt)"),
                              site.revokedAt.map { .text("\($0)") } ?? .missing, site.revocationReason.map { .text($0) } ?? .missing])
            }
            print(table.rendered(as: format))
        }
    }
}
