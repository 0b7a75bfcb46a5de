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

        init(errno code: Int32) {
            reason = String(cString: strerror(code))
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
