import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable, all-or-nothing file writes: keys, certificates, the CA index and CRLs, and the site
/// agent's stored updates and receipts.
///
/// The bytes go to a temporary file in the same directory, which is given its final permissions,
/// synced, and then renamed (or, when replacing is not allowed, hard-linked) into place; the directory
/// is synced last. A crash leaves either the old file or the new one, never a torn or world-readable key.
public enum AtomicFile {
    /// Writes `bytes` to `url`.
    /// - Parameters:
    ///   - permissions: the file's mode (0o600 for private keys, 0o644 otherwise), applied before any byte is written.
    ///   - replacing: whether an existing file may be replaced; if not, an existing file is an error.
    /// - Throws: `SecurityError.refusingToOverwrite` when `replacing` is false and the file exists;
    ///   `SecurityError.fileWriteFailed` with the system's reason for any failed step.
    public static func write(_ bytes: [UInt8], to url: URL, permissions: mode_t, replacing: Bool) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).\(UUID().uuidString).tmp"

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw failure(path: temporary) }
        defer { unlink(temporary) }  // after a rename or link the name is gone or redundant

        do {
            defer { close(descriptor) }
            // open() applies the umask; fchmod gives the exact mode, before the content exists.
            guard fchmod(descriptor, permissions) == 0 else { throw failure(path: temporary) }
            try bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = systemWrite(descriptor, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                    if written < 0, errno == EINTR { continue }
                    guard written > 0 else { throw failure(path: temporary) }
                    offset += written
                }
            }
            guard fsync(descriptor) == 0 else { throw failure(path: temporary) }
        }

        if replacing {
            guard rename(temporary, path) == 0 else { throw failure(path: path) }
        } else {
            // link() fails with EEXIST rather than replace: no window between a check and the write.
            guard link(temporary, path) == 0 else {
                if errno == EEXIST { throw SecurityError.refusingToOverwrite(path: path) }
                throw failure(path: path)
            }
        }
        try syncDirectory(directory)
    }

    /// Creates `url` and its parents with mode 0o700 if missing.
    public static func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(
                at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SecurityError.fileWriteFailed(path: url.path, reason: "\(error)")
        }
    }

    /// The contents of `url`.
    /// - Throws: `SecurityError.fileUnreadable` with the system's reason.
    static func read(_ url: URL) throws -> [UInt8] {
        do {
            return Array(try Data(contentsOf: url))
        } catch {
            throw SecurityError.fileUnreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Flushes the file or directory at `url` to the disk (`fsync`), for files written by
    /// another writer (a download) before they are renamed into place.
    /// - Throws: `SecurityError.fileWriteFailed` with the system's reason.
    public static func sync(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path: url.path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure(path: url.path) }
    }

    private static func syncDirectory(_ directory: String) throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path: directory) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure(path: directory) }
    }

    private static func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
        #else
        Darwin.write(descriptor, bytes, count)
        #endif
    }

    private static func failure(path: String) -> SecurityError {
        .fileWriteFailed(path: path, reason: String(cString: strerror(errno)))
    }
}
