import Foundation
import GRDB
import Security

/// `tessera bench aggregate`'s ledger line: durable appends per second (WAL, synchronous=FULL,
/// one transaction per append, as the aggregator commits each upload), beside a baseline measured
/// in the same run: 4 KiB writes each followed by `fsync` in the same directory, the floor any
/// durable append pays.
public enum LedgerBenchmark {
    /// One measurement.
    public struct Result: Sendable {
        public let appends: Int
        public let appendSeconds: Double
        public let fsyncs: Int
        public let fsyncSeconds: Double
        public var appendsPerSecond: Double { Double(appends) / appendSeconds }
        public var fsyncsPerSecond: Double { Double(fsyncs) / fsyncSeconds }
    }

    /// Appends `count` `update-accepted` entries to a new ledger in `directory` (after 10 warm-up
    /// appends), then times `count` write+fsync pairs; removes its files afterwards.
    /// - Throws: `SecurityError` (key, certificate), `DatabaseError`, `LedgerError.fileUnreadable`
    ///   if the baseline file cannot be written.
    public static func appendsPerSecond(count: Int, directory: URL) throws -> Result {
        let authorityDirectory = directory.appendingPathComponent("bench-ca-\(UUID().uuidString)")
        let ledgerURL = directory.appendingPathComponent("bench-ledger-\(UUID().uuidString).sqlite")
        let baselineURL = directory.appendingPathComponent("bench-fsync-\(UUID().uuidString)")
        defer {
            // Best effort: leftovers of a benchmark are harmless.
            for url in [authorityDirectory, ledgerURL, baselineURL] + ["-wal", "-shm"].map({ URL(fileURLWithPath: ledgerURL.path + $0) }) {
                try? FileManager.default.removeItem(at: url)
            }
        }
        let authority = try CertificateAuthority.initialise(directory: authorityDirectory, commonName: "Benchmark CA")
        let key = try Ed25519Key.generate()
        let store = try LedgerStore.open(at: ledgerURL, key: key,
                                         certificate: try authority.issueLedgerCertificate(for: try key.publicKey()))
        let digest = try SHA256.hash(Array("benchmark update".utf8))
        func append(_ index: Int) throws {
            _ = try store.append(.updateAccepted(round: 1, site: "site-\(index % 100)", digest: digest, samples: index, stepNorm: 0.5))
        }
        for index in 0..<10 { try append(index) }
        let start = DispatchTime.now()
        for index in 0..<count { try append(index) }
        let appendSeconds = seconds(since: start)

        let descriptor = open(baselineURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else {
            throw LedgerError.fileUnreadable(path: baselineURL.path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let page = [UInt8](repeating: 0x5A, count: 4096)
        let baselineStart = DispatchTime.now()
        for _ in 0..<count {
            let written = page.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == page.count, fsync(descriptor) == 0 else {
                throw LedgerError.fileUnreadable(path: baselineURL.path, reason: String(cString: strerror(errno)))
            }
        }
        return Result(appends: count, appendSeconds: appendSeconds, fsyncs: count, fsyncSeconds: seconds(since: baselineStart))
    }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
