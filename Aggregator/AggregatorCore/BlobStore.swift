import Foundation
import Security
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed files under `blobs/`: containers (global adapters and received updates) by
/// the hex digest that names them. A write goes to a temporary file, is fsynced, renamed into
/// place and the directory fsynced, so a blob is either absent or complete, also across a crash.
public struct BlobStore: Sendable {
    public let directory: URL

    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public func url(for digest: SHA256.Digest) -> URL { directory.appendingPathComponent(digest.hex) }

    public func contains(_ digest: SHA256.Digest) -> Bool { FileManager.default.fileExists(atPath: url(for: digest).path) }

    /// Stores `bytes` under `digest` durably (a blob already present is kept: same name, same content).
    /// - Throws: ``AggregatorError/storageFailed(path:reason:)`` (disk full, I/O error), leaving no partial file.
    public func write(_ bytes: some ContiguousBytes, as digest: SHA256.Digest) throws {
        let target = url(for: digest)
        guard !FileManager.default.fileExists(atPath: target.path) else { return }
        try Self.writeDurably(bytes, to: target)
    }

    /// The blob's bytes.
    /// - Throws: ``AggregatorError/storageFailed(path:reason:)``.
    public func read(_ digest: SHA256.Digest) throws -> Data {
        do {
            return try Data(contentsOf: url(for: digest))
        } catch {
            throw AggregatorError.storageFailed(path: url(for: digest).path, reason: error.localizedDescription)
        }
    }

    /// Writes `bytes` to `target` through `target.tmp-PID`: write, fsync, rename, fsync the directory.
    /// - Throws: ``AggregatorError/storageFailed(path:reason:)``; the temporary file is removed.
    public static func writeDurably(_ bytes: some ContiguousBytes, to target: URL) throws {
        let temporary = target.path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        func failure(_ step: String) -> AggregatorError {
            let reason = "\(step): \(String(cString: strerror(errno)))"
            unlink(temporary)
            return .storageFailed(path: target.path, reason: reason)
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create a temporary file") }
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 { if errno == EINTR { continue }; return false }
                offset += count
            }
            return true
        }
        guard written, fsync(descriptor) == 0 else {
            let error = failure("cannot write")
            close(descriptor)
            throw error
        }
        guard close(descriptor) == 0 else { throw failure("cannot close") }
        guard rename(temporary, target.path) == 0 else { throw failure("cannot rename into place") }
        let parent = open(target.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if parent >= 0 {
            defer { close(parent) }
            guard fsync(parent) == 0 else { throw AggregatorError.storageFailed(path: target.path, reason: "cannot fsync the directory: \(String(cString: strerror(errno)))") }
        }
    }
}
