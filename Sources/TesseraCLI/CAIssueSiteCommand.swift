import ArgumentParser
import Foundation
import Security
import SiteAgent

/// `tessera ca issue-site`: a site bundle for one hospital.
struct CAIssueSiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue-site",
        abstract: "Issue a site certificate (clientAuth, 2 years, new P-256 key) as a site bundle directory.",
        discussion: """
            The bundle holds site.pem, site-key.pem (mode 0600), ca.pem, aggregator-url and site.toml, the \
            commented site agent configuration (tessera-site config template) with the aggregator URL \
            filled in. Send it to the hospital over a channel you trust; the key is in it.
            """)

    @OptionGroup var options: CADirectoryOptions

    @Option(name: .customLong("site"), help: ArgumentHelp("The site id: 1-64 of A-Z a-z 0-9 . _ -", valueName: "ID"))
    var siteID: String

    @Option(help: ArgumentHelp("The aggregator's https URL written into the bundle.", valueName: "URL"))
    var aggregator: String

    @Option(help: ArgumentHelp("The bundle directory to create (default: ./site-bundle-<ID>).", valueName: "DIR"))
    var out: String?

    func validate() throws {
        guard let url = URL(string: aggregator), url.scheme == "https", url.host != nil else {
            throw ValidationError("--aggregator must be an https URL such as https://aggregator.example:8443")
        }
    }

    func run() throws {
        let authority = try options.authority()
        let directory = URL(fileURLWithPath: out ?? "site-bundle-\(siteID)")
        try createDirectory(directory)
        let certificateURL = directory.appendingPathComponent("site.pem")
        let keyURL = directory.appendingPathComponent("site-key.pem")
        for name in ["site.pem", "site-key.pem", "ca.pem", "aggregator-url", "site.toml"] {
            let url = directory.appendingPathComponent(name)
            guard !FileManager.default.fileExists(atPath: url.path) else { throw SecurityError.refusingToOverwrite(path: url.path) }
        }
        let credential = try authority.issueSiteCertificate(siteID: siteID)
        try credential.write(certificateTo: certificateURL, privateKeyTo: keyURL)
        try writeNewFile(try authority.certificate.pemRepresentation(), to: directory.appendingPathComponent("ca.pem"))
        try writeNewFile(aggregator + "\n", to: directory.appendingPathComponent("aggregator-url"))
        try writeNewFile(SiteConfiguration.template(aggregatorURL: aggregator),
                         to: directory.appendingPathComponent("site.toml"))
        print("issued site certificate CN=\(siteID), serial \(credential.certificate.serialNumber)")
        print("wrote bundle \(directory.path): site.pem, site-key.pem (0600), ca.pem, aggregator-url, site.toml")
    }
}
