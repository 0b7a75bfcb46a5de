import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CA's record of what it issued and revoked (`index.json`), read and written under an
/// exclusive lock (`index.lock`) so two `tessera ca` commands never lose each other's changes.
struct CertificateIndex: Codable {
    /// The number of the last CRL written (RFC 5280 §5.2.3: it only grows).
    var crlNumber: Int = 0
    /// Every issued certificate, in the order of issue.
    var certificates: [IssuedCertificate] = []

    /// Runs `body` with the index of `directory` under the lock, then saves what it left if it returns normally.
    static func update<Result>(
        in directory: URL, _ body: (inout CertificateIndex) throws -> Result
    ) throws -> Result {
        let lockPath = directory.appendingPathComponent("index.lock").path
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SecurityError.fileWriteFailed(path: lockPath, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }  // closing releases the lock
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw SecurityError.fileWriteFailed(path: lockPath, reason: String(cString: strerror(errno)))
        }
        var index = try read(in: directory)
        let result = try body(&index)
        try index.write(in: directory)
        return result
    }

    /// The index of `directory`; empty if the CA has not written one yet.
    static func read(in directory: URL) throws -> CertificateIndex {
        let url = directory.appendingPathComponent("index.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return CertificateIndex() }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(CertificateIndex.self, from: Data(try AtomicFile.read(url)))
        } catch let error as SecurityError {
            throw error
        } catch {
            throw SecurityError.corruptIndex(path: url.path, reason: "\(error)")
        }
    }

    private func write(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let url = directory.appendingPathComponent("index.json")
        let data: Data
        do {
            data = try encoder.encode(self)
        } catch {
            throw SecurityError.fileWriteFailed(path: url.path, reason: "\(error)")
        }
        try AtomicFile.write(Array(data) + [UInt8(ascii: "\n")], to: url, permissions: 0o644, replacing: true)
    }
}
