import ArgumentParser
import Security

/// `tessera ca revoke`: revoke by serial or every certificate of a site, then write the CRL.
struct CARevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a certificate (--serial) or all of a site's (--site), and write the CA's CRL (crl.pem).",
        discussion: "Import the CRL into the aggregator (or revoke there) so the site is refused from its next connection.")

    @OptionGroup var options: CADirectoryOptions

    @Option(help: ArgumentHelp("The serial number, hexadecimal as `tessera ca list` shows it.", valueName: "S"))
    var serial: String?

    @Option(name: .customLong("site"), help: ArgumentHelp("Revoke every unrevoked site certificate with this id.", valueName: "ID"))
    var siteID: String?

    func validate() throws {
        guard (serial == nil) != (siteID == nil) else {
            throw ValidationError("pass exactly one of --serial S or --site ID")
        }
    }

    func run() throws {
        let authority = try options.authority()
        var serials: [String] = []
        if let serial {
            serials = [serial]
        } else if let siteID {
            serials = try authority.list()
                .filter { $0.kind == .site && $0.commonName == siteID && $0.revocationDate == nil }
                .map(\.serialNumber)
            guard !serials.isEmpty else {
                throw ValidationError("no unrevoked site certificate has id \(siteID) (see `tessera ca list`)")
            }
        }
        for serial in serials {
            try authority.revoke(serial: serial)
            print("revoked serial \(serial)")
        }
        _ = try authority.writeCRL()
        print("wrote \(authority.crlURL.path)")
    }
}
