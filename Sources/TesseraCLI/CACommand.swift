import ArgumentParser
import Foundation
import Security

/// `tessera ca …`: the consortium's certificate authority, kept in one directory on the
/// operator's machine (see `CertificateAuthority` for its files).
struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "Run the consortium CA: create it, issue server, site and ledger certificates, revoke, list.",
        subcommands: [CAInitCommand.self, CAIssueServerCommand.self, CAIssueLedgerKeyCommand.self,
                      CAIssueSiteCommand.self, CASignCSRCommand.self, CARevokeCommand.self, CAListCommand.self]
    )
}

/// `--dir DIR`, shared by every `tessera ca` command.
struct CADirectoryOptions: ParsableArguments {
    @Option(name: .customLong("dir"), help: ArgumentHelp("The CA's directory.", valueName: "DIR"))
    var directory = "ca"

    var url: URL { URL(fileURLWithPath: directory) }

    /// The CA in the directory, as `tessera ca init` left it.
    func authority() throws -> CertificateAuthority {
        try CertificateAuthority(directory: url)
    }
}

/// Writes text to a new file; an existing file is never replaced.
/// - Throws: `SecurityError.refusingToOverwrite` if it exists, `.fileWriteFailed` otherwise.
func writeNewFile(_ text: String, to url: URL, permissions: Int = 0o644) throws {
    guard !FileManager.default.fileExists(atPath: url.path) else {
        throw SecurityError.refusingToOverwrite(path: url.path)
    }
    guard FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8),
                                         attributes: [.posixPermissions: permissions]) else {
        throw SecurityError.fileWriteFailed(path: url.path, reason: "cannot create the file")
    }
}

/// Creates `url` (mode 0700) if it is missing.
func createDirectory(_ url: URL) throws {
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    } catch {
        throw SecurityError.fileWriteFailed(path: url.path, reason: "\(error.localizedDescription)")
    }
}
