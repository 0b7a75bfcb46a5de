import ArgumentParser
import Security

/// `tessera ca init`: a new CA key and self-signed certificate.
struct CAInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the consortium CA: an ECDSA P-256 key (mode 0600) and a 10-year self-signed certificate.")

    @OptionGroup var options: CADirectoryOptions

    @Option(help: "The CA's common name.")
    var name = "Tessera Consortium CA"

    func run() throws {
        let authority = try CertificateAuthority.initialise(directory: options.url, commonName: name)
        print("created CA \(authority.certificate.subject) in \(options.url.path)")
        print("certificate: \(options.url.appendingPathComponent("ca.pem").path) (give it to every site and auditor)")
        print("fingerprint: \(authority.certificate.fingerprint.hex)")
    }
}
