import Foundation
import Testing

/// Certificates made by the `openssl` command line alone, so the Security module is tested against
/// an independent peer rather than against itself.
struct OpenSSLFixtures {
    let directory: TemporaryDirectory

    /// A directory with a self-signed P-256 CA, `ca.pem` + `ca.key`, named `caName`.
    init(caName: String = "Test CA") throws {
        directory = try TemporaryDirectory()
        try run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=\(caName)", "-days", "30",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    /// A certificate for a new key, signed by this CA.
    /// - Parameters:
    ///   - name: the file stem: `name.pem`, `name.key`.
    ///   - keyAlgorithm: "ec" (P-256) or "ed25519".
    ///   - extensions: lines of an openssl extension file.
    ///   - days: the validity; negative days give a certificate that has already expired.
    @discardableResult
    func issue(name: String, commonName: String, keyAlgorithm: String = "ec",
               extensions: [String] = ["extendedKeyUsage=clientAuth"], days: Int = 7) throws -> URL {
        let keyOptions = keyAlgorithm == "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
                                              : ["-newkey", keyAlgorithm]
        try run(["req", "-new", "-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(commonName)"]
                + keyOptions)
        let standard = ["basicConstraints=critical,CA:FALSE", "subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid"]
        try Data((standard + extensions).joined(separator: "\n").utf8).write(to: file("\(name).ext"))
        try run(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "\(days)", "-extfile", "\(name).ext", "-out", "\(name).pem"])
        return file("\(name).pem")
    }

    func file(_ name: String) -> URL { directory.file(name) }

    /// Runs openssl in the directory; a failure is a test failure with openssl's message.
    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let result = try OpenSSLTool.run(arguments, in: directory.url)
        try #require(result.status == 0, "openssl \(arguments.joined(separator: " ")): \(result.standardError)")
        return result.standardOutput
    }
}
