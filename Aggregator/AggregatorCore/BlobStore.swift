import Foundation
import Security
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed files under `blobs/`: containers (global adapters and received updates) by
/// the hex digest that names them. A write goes to a temporary file, is fsynced, renamed into
/// place and the directory fsynced, so a blob is either absent or complete, also across a crash.
public struct BlobStore: Sendable {
    /// The two system calls a durable write makes, behind one seam so tests can make them fail
    /// as a broken disk would (EIO, a short write followed by ENOSPC, a failed fsync).
    public struct FileSystem: Sendable {
        /// `write(2)`: bytes written, or -1 with `errno` set.
        public var write: @Sendable (_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int
        /// `fsync(2)`: 0, or -1 with `errno` set.
        public var fsync: @Sendable (_ descriptor: Int32) -> Int32

        public init(write: @escaping @Sendable (Int32, UnsafeRawPointer, Int) -> Int, fsync: @escaping @Sendable (Int32) -> Int32) {
            self.write = write
            self.fsync = fsync
        }

        /// The operating system's calls.
        public static let system = FileSystem(write: { Glibc.write($0, $1, $2) }, fsync: { Glibc.fsync($0) })
    }

    public let directory: URL
    let fileSystem: FileSystem

    public init(directory: URL, fileSystem: FileSystem = .system) throws {
        self.directory = directory
        self.fileSystem = fileSystem
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        Self.removeAbandonedTemporaryFiles(in: directory)
    }

    /// Removes the temporary files (`NAME.tmp-PID-N`) that ``writeDurably(_:to:)`` left in
    /// `directory` when its process was stopped mid-write: those of processes that have ended and
    /// untouched for an hour (a writer in another PID namespace, as in a container sharing the
    /// directory, looks ended from here, but its file keeps changing while it writes).
    public static func removeAbandonedTemporaryFiles(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []  // try?: nothing to sweep
        let stale = Date().addingTimeInterval(-3600)
        for name in names {
            let parts = name.components(separatedBy: ".tmp-")
            guard parts.count == 2, let pid = parts[1].split(separator: "-").first.flatMap({ pid_t($0) }), pid > 0,
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let file = directory.appendingPathComponent(name)
            let modified = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.modificationDate] as? Date  // try?: gone already
            if let modified, modified < stale { unlink(file.path) }
        }
    }

    public func url(for digest: SHA256.Digest) -> URL { directory.appendingPathComponent(digest.hex) }

    public func contains(_ digest: SHA256.Digest) -> Bool { FileManager.default.fileExists(atPath: url(for: digest).path) }

    /// Stores `bytes` under `digest` durably (a blob already present is kept: same name, same content).
    /// - Throws: ``AggregatorError/storageFailed(path:reason:)`` (disk full, I/O error), leaving no partial file.
    public func write(_ bytes: some ContiguousBytes, as digest: SHA256.Digest) throws {
        let target = url(for: digest)
        guard !FileManager.default.fileExists(atPath: target.path) else {
            // A first attempt may have renamed it into place and then failed (or died) before its
            // directory reached the disk: make it durable before anyone is told it is stored.
            let descriptor = open(target.path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw AggregatorError.storageFailed(path: target.path, reason: "cannot open: \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            guard fileSystem.fsync(descriptor) == 0 else {
                throw AggregatorError.storageFailed(path: target.path, reason: "cannot fsync: \(String(cString: strerror(errno)))")
            }
            try syncDirectory(of: target)
            return
        }
        try writeDurably(bytes, to: target)
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
    public func writeDurably(_ bytes: some ContiguousBytes, to target: URL) throws {
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
                let count = fileSystem.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 { if errno == EINTR { continue }; return false }
                offset += count
            }
            return true
        }
        guard written, fileSystem.fsync(descriptor) == 0 else {
            let error = failure("cannot write")
            close(descriptor)
            throw error
        }
        guard close(descriptor) == 0 else { throw failure("cannot close") }
        guard rename(temporary, target.path) == 0 else { throw failure("cannot rename into place") }
        try syncDirectory(of: target)
    }

    /// fsyncs the directory that holds `target`, so its entry survives a power loss.
    private func syncDirectory(of target: URL) throws {
        let parent = open(target.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if parent >= 0 {
            defer { close(parent) }
            guard fileSystem.fsync(parent) == 0 else { throw AggregatorError.storageFailed(path: target.path, reason: "cannot fsync the directory: \(String(cString: strerror(errno)))") }
        }
    }
}
