import Foundation
import Testing
import TestSupport
@testable import TesseraCLI

/// `tessera ca …` as an operator runs it (issue #7), checked with the openssl command line: what
/// each command writes, key modes, refusals to overwrite, and revocation through the CRL.
@Suite("tessera ca commands")
struct CACommandTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(executable, arguments, in: directory)
    }

    func tessera(_ arguments: String...) throws -> (status: Int32, output: String) {
        try run(builtProductsDirectory.appendingPathComponent("tessera").path, arguments)
    }

    func openssl(_ arguments: String...) throws -> (status: Int32, output: String) {
        try run("/usr/bin/openssl", arguments)
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(path).path)[.posixPermissions] as? Int) ?? -1
    }

    @Test("init, issue-server, issue-ledger-key, issue-site, sign-csr, revoke and list: files, key modes, no overwrite, a CRL openssl honours")
    func operatorFlow() throws {
        defer { try? FileManager.default.removeItem(at: directory) }  // best effort: a temporary directory
        #expect(try tessera("ca", "init", "--name", "Test Consortium CA").status == 0)
        #expect(try mode("ca/ca-key.pem") == 0o600)
        let again = try tessera("ca", "init")
        #expect(again.status != 0 && again.output.contains("ca/ca-key.pem already exists; refusing to overwrite it"), "\(again.output)")

        #expect(try tessera("ca", "issue-server", "--dns", "localhost", "--ip", "127.0.0.1").status == 0)
        let server = try openssl("x509", "-in", "server/server.pem", "-noout", "-ext", "subjectAltName")
        #expect(server.output.contains("DNS:localhost") && server.output.contains("IP Address:127.0.0.1"), "\(server.output)")
        #expect(try mode("server/server-key.pem") == 0o600)

        #expect(try tessera("ca", "issue-ledger-key", "--out", "ledger").status == 0)
        #expect(try openssl("pkey", "-in", "ledger/ledger-key.pem", "-noout", "-text").output.contains("ED25519"))
        #expect(try openssl("verify", "-CAfile", "ca/ca.pem", "ledger/ledger.pem").status == 0)

        #expect(try tessera("ca", "issue-site", "--site", "site-1", "--aggregator", "https://aggregator.example:8443").status == 0)
        let bundle = "site-bundle-site-1"
        #expect(try mode("\(bundle)/site-key.pem") == 0o600)
        #expect(try openssl("verify", "-CAfile", "\(bundle)/ca.pem", "\(bundle)/site.pem").status == 0)
        #expect(try String(contentsOf: directory.appendingPathComponent("\(bundle)/aggregator-url"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines) == "https://aggregator.example:8443")
        #expect(try String(contentsOf: directory.appendingPathComponent("\(bundle)/site.toml"), encoding: .utf8).contains("[bundle]"))
        let twice = try tessera("ca", "issue-site", "--site", "site-1", "--aggregator", "https://aggregator.example:8443")
        #expect(twice.status != 0 && twice.output.contains("\(bundle)/site.pem already exists; refusing to overwrite it"), "\(twice.output)")

        // A hospital that keeps its own key sends a CSR.
        #expect(try openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "hospital-key.pem",
                            "-subj", "/CN=site-2", "-out", "hospital.csr").status == 0)
        let signed = try tessera("ca", "sign-csr", "hospital.csr", "--site", "site-2")
        #expect(signed.status == 0, "\(signed.output)")
        #expect(try openssl("verify", "-CAfile", "ca/ca.pem", "site-2.pem").status == 0)

        // Revocation: the CRL lists site-1's serial and openssl refuses its certificate with it.
        let serial = try openssl("x509", "-in", "\(bundle)/site.pem", "-noout", "-serial").output
            .replacingOccurrences(of: "serial=", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let revoked = try tessera("ca", "revoke", "--site", "site-1")
        #expect(revoked.status == 0 && revoked.output.contains("revoked serial \(serial)"), "\(revoked.output)")
        let crl = try openssl("crl", "-in", "ca/crl.pem", "-noout", "-text", "-CAfile", "ca/ca.pem")
        #expect(crl.status == 0 && crl.output.contains("verify OK") && crl.output.lowercased().contains(serial), "\(crl.output)")
        let refused = try openssl("verify", "-crl_check", "-CRLfile", "ca/crl.pem", "-CAfile", "ca/ca.pem", "\(bundle)/site.pem")
        #expect(refused.status != 0 && refused.output.contains("certificate revoked"), "\(refused.output)")
        #expect(try openssl("verify", "-crl_check", "-CRLfile", "ca/crl.pem", "-CAfile", "ca/ca.pem", "site-2.pem").status == 0)

        let list = try tessera("ca", "list").output.split(separator: "\n")
        #expect(list.contains { $0.hasPrefix(serial) && $0.contains("site-1") && !$0.contains("  -  ") }, "\(list)")
        #expect(list.contains { $0.contains("site-2") }, "\(list)")
        #expect(list.contains { $0.contains("ledger") } && list.contains { $0.contains("server") }, "\(list)")
    }
}
