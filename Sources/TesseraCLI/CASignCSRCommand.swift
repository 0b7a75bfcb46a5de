import ArgumentParser
import Foundation
import Security

/// `tessera ca sign-csr`: a site certificate for a hospital that keeps its own key.
struct CASignCSRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-csr",
        abstract: "Sign a site's certificate signing request (its key never leaves the hospital).",
        discussion: "Only the CSR's public key is used; the subject becomes CN=<ID> and the extensions are the CA's.")

    @OptionGroup var options: CADirectoryOptions

    @Argument(help: ArgumentHelp("The CSR in PEM (BEGIN CERTIFICATE REQUEST).", valueName: "FILE"))
    var file: String

    @Option(name: .customLong("site"), help: ArgumentHelp("The site id: 1-64 of A-Z a-z 0-9 . _ -", valueName: "ID"))
    var siteID: String

    @Option(help: ArgumentHelp("Where to write the certificate (default: ./<ID>.pem).", valueName: "FILE"))
    var out: String?

    func run() throws {
        let input = URL(fileURLWithPath: file)
        let output = URL(fileURLWithPath: out ?? "\(siteID).pem")
        guard !FileManager.default.fileExists(atPath: output.path) else {
            throw SecurityError.refusingToOverwrite(path: output.path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: input)
        } catch {
            throw SecurityError.fileUnreadable(path: input.path, reason: error.localizedDescription)
        }
        let certificate = try options.authority().signCSR(pemData: data, siteID: siteID)
        try writeNewFile(try certificate.pemRepresentation(), to: output)
        print("issued site certificate CN=\(siteID), serial \(certificate.serialNumber): \(output.path)")
    }
}
