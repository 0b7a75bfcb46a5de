import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive hold on a state directory, so that two processes never work on one state: `flock`
/// on a lock file in it, which holds the holder's process id. The kernel drops the hold when the
/// process ends, however it ends. The site agent holds `agent.lock` (a manual `run` beside the
/// systemd service would train one round into one checkpoint twice); the aggregator's `serve`
/// holds `aggregator.lock` (two servers would aggregate and publish one round twice).
public final class DirectoryLock {
    /// Why a hold was not taken.
    public enum Failure: Error, Equatable {
        /// Another process holds the lock (its process id, when the lock file gives it).
        case held(directory: String, holder: Int32?)
        /// The lock file cannot be opened.
        case unopenable(file: String, reason: String)
    }

    private let descriptor: Int32

    /// Takes the hold on `directory` through its file `name`.
    /// - Throws: ``Failure``.
    public init(directory: URL, name: String) throws(Failure) {
        let file = directory.appendingPathComponent(name)
        descriptor = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .unopenable(file: file.path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)  // try?: only for the message
            close(descriptor)
            throw .held(directory: directory.path, holder: holder.flatMap(Int32.init))
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(descriptor) }
}
