import Foundation
import Security
import Testing

struct Ed25519KeyTests {
    // RFC 8032 §7.1, TEST 1: an empty message.
    static let rfcSecretKey = [UInt8](hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let rfcPublicKey = [UInt8](hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let rfcSignature = [UInt8](hex: """
        e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b
        """)

    @Test func signsRFC8032TestVector1() throws {
        let key = try Ed25519Key(rawRepresentation: Self.rfcSecretKey)
        #expect(try key.publicKey().rawRepresentation == Self.rfcPublicKey)
        #expect(try key.signature(for: [UInt8]()) == Self.rfcSignature)
        #expect(try Ed25519PublicKey(rawRepresentation: Self.rfcPublicKey).isValidSignature(Self.rfcSignature, for: [UInt8]()))
    }

    /// A changed message, a flipped signature bit, a short signature or another key all fail.
    @Test func rejectsSignatureThatDoesNotMatch() throws {
        let key = try Ed25519Key.generate()
        let publicKey = try key.publicKey()
        let message = Array("round 7 update from site-a".utf8)
        let signature = try key.signature(for: message)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: Array("round 8 update from site-a".utf8)))
        var flipped = signature
        flipped[10] ^= 0x01
        #expect(!publicKey.isValidSignature(flipped, for: message))
        #expect(!publicKey.isValidSignature(Array(signature.prefix(63)), for: message))
        #expect(!(try Ed25519Key.generate().publicKey()).isValidSignature(signature, for: message))
    }

    /// PKCS#8 PEM out and back in gives the same key; the public key survives PEM too.
    @Test func roundTripsPEM() throws {
        let key = try Ed25519Key.generate()
        let pem = try key.pemRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let loaded = try Ed25519Key(pem: pem, source: "memory")
        #expect(try loaded.publicKey() == key.publicKey())
        let publicPEM = try key.publicKey().pemRepresentation()
        #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(try Ed25519PublicKey(pem: publicPEM, source: "memory") == key.publicKey())
    }

    /// The key file is created with mode 0600, reads back, and is never overwritten.
    @Test func writesKeyFileWithMode0600AndRefusesOverwrite() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let url = directory.file("ledger-key.pem")
        let key = try Ed25519Key.generate()
        try key.write(to: url)
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try Ed25519Key(contentsOf: url).publicKey() == key.publicKey())
        #expect(throws: SecurityError.refusingToOverwrite(path: url.path)) {
            try Ed25519Key.generate().write(to: url)
        }
        #expect(try Ed25519Key(contentsOf: url).publicKey() == key.publicKey())
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["ledger-key.pem"])
    }

    /// Swift signs, `openssl pkeyutl -verify -rawin` accepts; openssl signs, Swift accepts.
    @Test func interoperatesWithOpenSSLCommandLine() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let message = Array("ledger head 42".utf8)
        try Data(message).write(to: directory.file("message.bin"))

        let swiftKey = try Ed25519Key.generate()
        try Data(try swiftKey.publicKey().pemRepresentation().utf8).write(to: directory.file("swift-public.pem"))
        try Data(try swiftKey.signature(for: message)).write(to: directory.file("swift.sig"))
        let verified = try OpenSSLTool.run(
            ["pkeyutl", "-verify", "-pubin", "-inkey", "swift-public.pem", "-rawin",
             "-in", "message.bin", "-sigfile", "swift.sig"], in: directory.url)
        #expect(verified.status == 0, "\(verified.standardError)")
        #expect(verified.standardOutput.contains("Signature Verified Successfully"))

        for arguments in [
            ["genpkey", "-algorithm", "ed25519", "-out", "openssl-key.pem"],
            ["pkey", "-in", "openssl-key.pem", "-pubout", "-out", "openssl-public.pem"],
            ["pkeyutl", "-sign", "-inkey", "openssl-key.pem", "-rawin", "-in", "message.bin", "-out", "openssl.sig"],
        ] {
            let result = try OpenSSLTool.run(arguments, in: directory.url)
            try #require(result.status == 0, "openssl \(arguments): \(result.standardError)")
        }
        let signature = Array(try Data(contentsOf: directory.file("openssl.sig")))
        let publicKey = try Ed25519PublicKey(
            pem: String(decoding: try Data(contentsOf: directory.file("openssl-public.pem")), as: UTF8.self),
            source: "openssl-public.pem")
        #expect(publicKey.isValidSignature(signature, for: message))
        // Ed25519 is deterministic: OpenSSL's key loaded in Swift signs the same bytes.
        let opensslKey = try Ed25519Key(contentsOf: directory.file("openssl-key.pem"))
        #expect(try opensslKey.signature(for: message) == signature)
        #expect(try opensslKey.publicKey() == publicKey)
    }

    @Test func rejectsGarbagePEM() {
        #expect(throws: SecurityError.invalidPEM(source: "garbage.pem", expected: "private key", openSSL: .init())) {
            try Ed25519Key(pem: "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", source: "garbage.pem")
        }
        #expect(throws: SecurityError.invalidPEM(source: "garbage.pem", expected: "public key", openSSL: .init())) {
            try Ed25519PublicKey(pem: "hello", source: "garbage.pem")
        }
    }

    /// The OpenSSL error queue is copied into the message, so the operator sees OpenSSL's reason.
    @Test func errorMessageCarriesOpenSSLReason() {
        let error = #expect(throws: SecurityError.self) { try Ed25519Key(pem: "hello", source: "garbage.pem") }
        guard case .invalidPEM(_, _, let openSSL) = error, let first = openSSL.entries.first else {
            Issue.record("expected invalidPEM with OpenSSL's queue, got \(String(describing: error))")
            return
        }
        // OpenSSL 3.0 says "DECODER routines::unsupported"; the exact words vary by release.
        #expect(first.hasPrefix("error:"))
        #expect(error?.description == "garbage.pem: no readable PEM private key (OpenSSL: \(openSSL.entries.joined(separator: "; ")))")
    }

    @Test func rejectsKeyOfAnotherAlgorithm() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try OpenSSLTool.run(
            ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"], in: directory.url)
        try #require(result.status == 0, "\(result.standardError)")
        let url = directory.file("ec.pem")
        #expect(throws: SecurityError.wrongKeyType(source: url.path, found: "EC", expected: "ED25519")) {
            try Ed25519Key(contentsOf: url)
        }
    }

    @Test func rejectsRawKeysOfWrongLength() {
        #expect(throws: SecurityError.invalidLength(field: "Ed25519 private key", found: 31, expected: 32)) {
            try Ed25519Key(rawRepresentation: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: SecurityError.invalidLength(field: "Ed25519 public key", found: 33, expected: 32)) {
            try Ed25519PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 33))
        }
    }

    @Test func reportsMissingKeyFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let url = directory.file("absent.pem")
        let error = #expect(throws: SecurityError.self) { try Ed25519Key(contentsOf: url) }
        guard case .fileUnreadable(let path, let reason) = error else {
            Issue.record("expected fileUnreadable, got \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(!reason.isEmpty)
    }
}
