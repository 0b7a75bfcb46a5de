import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A checkpoint's directory and files, written with the system calls so that a failure carries
/// the operating system's reason ("No space left on device", "Not a directory"): Foundation's
/// file errors often say only "The operation could not be completed".
enum CheckpointFiles {
    /// A failed call: `strerror(errno)` (the caller names the checkpoint).
    struct Failure: Error {
        let reason: String

        init(reason: String) {
            self.reason = reason
        }

        init(errno code: Int32) {
            self.init(reason: String(cString: strerror(code)))
        }

        /// The system's reason inside any file error: this type's own, the POSIX error under
        /// Foundation's (`Data.write` says "There isn't enough space." where the system says
        /// "No space left on device"), or the error's own description.
        init(_ error: any Error) {
            if let failure = error as? Failure {
                self = failure
            } else if let posix = error as? POSIXError {
                self.init(errno: posix.code.rawValue)
            } else if (error as NSError).domain == NSPOSIXErrorDomain {
                self.init(errno: Int32((error as NSError).code))
            } else if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error {
                self.init(underlying)
            } else {
                self.init(reason: "\(error)")
            }
        }
    }

    /// Creates `url` and any missing parents (mode 0755).
    static func createDirectory(_ url: URL) throws(Failure) {
        var path = ""
        for component in url.standardizedFileURL.path.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o755) != 0 && errno != EEXIST { throw Failure(errno: errno) }
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw Failure(errno: errno) }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw Failure(errno: ENOTDIR) }
    }

    /// Renames `source` to `destination`, replacing a file there.
    static func rename(_ source: URL, to destination: URL) throws(Failure) {
        guard Glibc.rename(source.path, destination.path) == 0 else { throw Failure(errno: errno) }
    }

    /// Writes `data` to `url`, replacing what is there.
    static func write(_ data: Data, to url: URL) throws(Failure) {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(errno: errno) }
        defer { close(descriptor) }
        let failure: Int32? = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return errno }
                offset += written
            }
            return nil
        }
        if let failure { throw Failure(errno: failure) }
    }
}
