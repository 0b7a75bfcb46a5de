import ArgumentParser
import Foundation
import Ledger
import Security

/// `tessera audit verify`: the ledger's certificate, chain, signatures, that no accepted update was
/// dropped, and, given receipts and signed heads, that each is present and unchanged (docs/LEDGER.md §5).
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a ledger file offline; exits non-zero naming the first bad entry.",
        discussion: """
            Checks that entry 1 carries a ledger certificate issued by the CA with the ledger-signing \
            usage, that entries run 1, 2, … without gaps, that each entry's columns match its signed \
            canonical bytes, the hash chain, every Ed25519 signature and, with --receipts, that each \
            receipted update is in the ledger unchanged, that each aggregation counts exactly the \
            updates last accepted from each site in its round and, with --head, that a signed head fetched earlier (GET \
            /v1/ledger/head) is still in the ledger as signed. The byte format is docs/LEDGER.md.
            """
    )

    @Option(help: "The ledger file (a copy of the aggregator's ledger.sqlite).")
    var ledger: String

    @Option(help: "The consortium CA certificate (PEM), the only trust anchor.")
    var ca: String

    @Option(help: "A directory of receipts (one JSON receipt per *.json file), as sites keep them.")
    var receipts: String?

    @Option(name: .customLong("head"), help: ArgumentHelp("A signed head kept from GET /v1/ledger/head (repeatable).", valueName: "FILE"))
    var heads: [String] = []

    func run() throws {
        let verifier = AuditVerifier(authority: try X509Certificate(contentsOf: URL(fileURLWithPath: ca)))
        let summary = try verifier.verify(ledgerAt: URL(fileURLWithPath: ledger),
                                          receiptsIn: receipts.map { URL(fileURLWithPath: $0) }, heads: heads.map { URL(fileURLWithPath: $0) })
        print("""
            ledger \(ledger): verified
              entries      1–\(summary.entryCount), head hash \(summary.headHash.hex)
              ledger key   \(summary.certificate.subject), certificate fingerprint \(summary.certificate.fingerprint.hex)
              receipts     \(summary.receiptCount) checked
              heads        \(summary.headCount) checked
            """)
    }
}
