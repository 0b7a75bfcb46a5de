import Foundation

extension CertificateAuthority {
    /// An aggregator's credentials for a consortium on one machine (the demo's, a test's): a server
    /// certificate for `localhost` and 127.0.0.1, and a fresh ledger key with its certificate, written
    /// to `directory` as `server.pem`, `server-key.pem`, `ledger-key.pem` and `ledger.pem`, the names
    /// the aggregator's configuration template uses under `pki/`.
    /// - Throws: `SecurityError` when a key cannot be made or a file written.
    public func writeLoopbackAggregatorCredentials(to directory: URL) throws {
        try issueServerCertificate(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
            .write(certificateTo: directory.appendingPathComponent("server.pem"), privateKeyTo: directory.appendingPathComponent("server-key.pem"))
        let ledgerKey = try Ed25519Key.generate()
        try ledgerKey.write(to: directory.appendingPathComponent("ledger-key.pem"))
        try Data(try issueLedgerCertificate(for: try ledgerKey.publicKey()).pemRepresentation().utf8)
            .write(to: directory.appendingPathComponent("ledger.pem"))
    }
}
