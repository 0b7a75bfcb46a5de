import ArgumentParser
import Foundation
import Security

/// `tessera ca issue-ledger-key`: the aggregator's Ed25519 ledger-signing key and its certificate.
struct CAIssueLedgerKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue-ledger-key",
        abstract: "Generate the aggregator's Ed25519 ledger key (mode 0600) and its ledger-signing certificate.")

    @OptionGroup var options: CADirectoryOptions

    @Option(help: ArgumentHelp("Where to write ledger-key.pem and ledger.pem (created if missing).", valueName: "DIR"))
    var out: String

    func run() throws {
        let authority = try options.authority()
        let directory = URL(fileURLWithPath: out)
        try createDirectory(directory)
        let keyURL = directory.appendingPathComponent("ledger-key.pem")
        let certificateURL = directory.appendingPathComponent("ledger.pem")
        guard !FileManager.default.fileExists(atPath: certificateURL.path) else {
            throw SecurityError.refusingToOverwrite(path: certificateURL.path)
        }
        let key = try Ed25519Key.generate()
        try key.write(to: keyURL)
        let certificate = try authority.issueLedgerCertificate(for: try key.publicKey())
        try writeNewFile(try certificate.pemRepresentation(), to: certificateURL)
        print("wrote \(keyURL.path) (mode 0600) and \(certificateURL.path), serial \(certificate.serialNumber)")
    }
}
