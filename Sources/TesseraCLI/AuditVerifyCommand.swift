import ArgumentParser
import Foundation
import Ledger
import Security

/// `tessera audit verify`: the ledger's certificate, chain, signatures and, given receipts, that
/// every receipted update is present and unchanged (docs/LEDGER.md §5).
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a ledger file offline; exits non-zero naming the first bad entry.",
        discussion: """
            Checks that entry 1 carries a ledger certificate issued by the CA with the ledger-signing \
            usage, that entries run 1, 2, … without gaps, that each entry's columns match its signed \
            canonical bytes, the hash chain, every Ed25519 signature and, with --receipts, that each \
            receipted update is in the ledger unchanged. The byte format is docs/LEDGER.md.
            """
    )

    @Option(help: "The ledger file (a copy of the aggregator's ledger.sqlite).")
    var ledger: String

    @Option(help: "The consortium CA certificate (PEM), the only trust anchor.")
    var ca: String

    @Option(help: "A directory of receipts (one JSON receipt per *.json file), as sites keep them.")
    var receipts: String?

    func run() throws {
        let verifier = AuditVerifier(authority: try X509Certificate(contentsOf: URL(fileURLWithPath: ca)))
        let summary = try verifier.verify(ledgerAt: URL(fileURLWithPath: ledger),
                                          receiptsIn: receipts.map { URL(fileURLWithPath: $0) })
        print("""
            ledger \(ledger): verified
              entries      1–\(summary.entryCount), head hash \(summary.headHash.hex)
              ledger key   \(summary.certificate.subject), certificate fingerprint \(summary.certificate.fingerprint.hex)
              receipts     \(summary.receiptCount) checked
            """)
    }
}
