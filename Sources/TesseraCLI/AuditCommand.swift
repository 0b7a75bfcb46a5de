import ArgumentParser

/// `tessera audit`: the auditor's commands, on a copy of the aggregator's ledger file.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the participation ledger against the consortium CA, and report who contributed what.",
        subcommands: [AuditVerifyCommand.self, AuditReportCommand.self]
    )
}
