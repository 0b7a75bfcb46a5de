import ArgumentParser
import Foundation
import Security

/// `tessera ca issue-server`: the aggregator's TLS certificate and key.
struct CAIssueServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue-server",
        abstract: "Issue the aggregator's TLS server certificate (serverAuth, 2 years) with a new P-256 key.")

    @OptionGroup var options: CADirectoryOptions

    @Option(name: .customLong("dns"), help: ArgumentHelp("A host name sites connect to; repeat for several.", valueName: "NAME"))
    var dnsNames: [String] = []

    @Option(name: .customLong("ip"), help: ArgumentHelp("An IP address sites connect to; repeat for several.", valueName: "ADDR"))
    var ipAddresses: [String] = []

    @Option(help: ArgumentHelp("Where to write server.pem and server-key.pem.", valueName: "DIR"))
    var out = "server"

    func validate() throws {
        guard !dnsNames.isEmpty || !ipAddresses.isEmpty else {
            throw ValidationError("pass at least one --dns NAME (or --ip ADDR) that sites use to reach the aggregator")
        }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: out)
        try createDirectory(directory)
        let credential = try options.authority().issueServerCertificate(dnsNames: dnsNames, ipAddresses: ipAddresses)
        try credential.write(certificateTo: directory.appendingPathComponent("server.pem"),
                             privateKeyTo: directory.appendingPathComponent("server-key.pem"))
        print("issued server certificate \(credential.certificate.subject), serial \(credential.certificate.serialNumber)")
        print("wrote \(directory.appendingPathComponent("server.pem").path) and server-key.pem (mode 0600)")
    }
}
