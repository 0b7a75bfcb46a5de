import AggregatorCore
import AggregatorTestSupport
import Foundation
import Protocols
import Security
import Testing
import Transport
#if canImport(Glibc)
import Glibc
#endif

/// A disk that fails on demand, behind the blob store's file-system seam.
final class FaultyDisk: @unchecked Sendable {
    enum Fault: String, CaseIterable {
        /// write(2) fails with EIO.
        case writeIO
        /// write(2) takes half the bytes, then fails with ENOSPC.
        case shortWrite
        /// fsync(2) fails with EIO.
        case fsyncIO
    }

    private let lock = NSLock()
    private var current: Fault?
    private var shortWriteDone = false

    var fault: Fault? {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue; shortWriteDone = false } }
    }

    var fileSystem: BlobStore.FileSystem {
        BlobStore.FileSystem(
            write: { [self] descriptor, bytes, count in
                let fault = self.fault
                switch fault {
                case .writeIO?:
                    errno = EIO
                    return -1
                case .shortWrite?:
                    let first = lock.withLock { () -> Bool in
                        defer { shortWriteDone = true }
                        return !shortWriteDone
                    }
                    guard first else { errno = ENOSPC; return -1 }
                    return Glibc.write(descriptor, bytes, max(1, count / 2))
                default:
                    return Glibc.write(descriptor, bytes, count)
                }
            },
            fsync: { [self] descriptor in
                if self.fault == .fsyncIO { errno = EIO; return -1 }
                return Glibc.fsync(descriptor)
            })
    }
}

@Suite("Failed writes during an upload", .serialized)
struct StorageFaultTests {
    @Test("EIO, a short write then ENOSPC, a failed fsync: 500 with a JSON error, nothing accepted or left behind, then the same bytes accepted")
    func failedWrites() async throws {
        let disk = FaultyDisk()
        let harness = try AggregatorHarness(fileSystem: disk.fileSystem)
        try harness.enrol("site-a", "site-b")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign())
        try await harness.serve()
        let update = try harness.update(site: "site-a", samples: 3, shift: 0.01)
        let blobs = harness.configuration.stateDirectory.appendingPathComponent("blobs")
        for fault in FaultyDisk.Fault.allCases {
            disk.fault = fault
            do {
                _ = try await harness.upload("site-a", update)
                Issue.record("\(fault): an update was accepted on a failing disk")
            } catch let TransportError.httpStatus(_, status, code, message) {
                #expect(status == 500 && code == "internal", "\(fault): \(status) \(code ?? "-") \(message ?? "")")
            }
            #expect(try harness.aggregator.updates(round: 1).isEmpty, "\(fault)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: blobs.path).filter { $0.contains(".tmp-") || $0 == update.digest.hex }
            #expect(leftovers.isEmpty, "\(fault): \(leftovers)")
            #expect(try await harness.client("site-b").get("/healthz").body == Array("ok".utf8), "\(fault)")
        }
        #expect(try harness.aggregator.ledger.entries(after: 0, limit: 1000).allSatisfy { $0.kind != .updateAccepted })
        disk.fault = nil
        #expect(try await harness.upload("site-a", update).digest == update.digest)
    }

    @Test("a blob already present is fsynced again before it counts as stored (a first attempt may have died before its directory reached the disk)")
    func presentBlobIsSyncedAgain() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let disk = FaultyDisk()
        let store = try BlobStore(directory: directory, fileSystem: disk.fileSystem)
        let bytes: [UInt8] = [1, 2, 3]
        let digest = try SHA256.hash(bytes)
        try store.write(bytes, as: digest)
        disk.fault = .fsyncIO
        #expect(throws: AggregatorError.storageFailed(path: store.url(for: digest).path, reason: "cannot fsync: \(String(cString: strerror(EIO)))")) {
            try store.write(bytes, as: digest)
        }
        disk.fault = nil
        try store.write(bytes, as: digest)
        #expect(try store.read(digest) == Data(bytes))
    }

    @Test("opening the store removes the temporary files of ended processes untouched for an hour, and keeps the others")
    func abandonedTemporaryFilesAreRemoved() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // 99999999 is beyond any pid_max (2^22 at most), so no process has it.
        let abandoned = "aa.tmp-99999999-1", recent = "ab.tmp-99999999-2", live = "bb.tmp-\(getpid())-3", other = "cc.blob"
        for name in [abandoned, recent, live, other] {
            let file = directory.appendingPathComponent(name)
            try Data([0]).write(to: file)
            if name != recent {
                try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: file.path)
            }
        }
        _ = try BlobStore(directory: directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [recent, live, other])
    }
}
