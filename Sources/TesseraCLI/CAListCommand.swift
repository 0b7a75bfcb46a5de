import ArgumentParser
import Foundation
import Reporting

/// `tessera ca list`: every certificate the CA issued.
struct CAListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every certificate the CA issued, with its validity and revocation.")

    @OptionGroup var options: CADirectoryOptions

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    func run() throws {
        var table = ResultsTable(title: "certificates issued by \(options.url.path)",
                                 columns: ["serial", "kind", "common name", "not after", "revoked", "fingerprint"])
        for issued in try options.authority().list() {
            table.append([.text(issued.serialNumber), .text(issued.kind.rawValue), .text(issued.commonName),
                          .text(issued.notAfter.formatted(.iso8601)),
                          issued.revocationDate.map { .text($0.formatted(.iso8601)) } ?? .missing,
                          .text(issued.fingerprint)])
        }
        print(table.rendered(as: format), terminator: "")
    }
}
