import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive hold on a state directory, so that two agents (a manual `run` beside the systemd
/// service, say) never train the same round into one checkpoint: `flock` on `agent.lock`, which
/// holds the holder's process id. The kernel drops the hold when the process ends, however it ends.
final class StateLock {
    private let descriptor: Int32

    /// Takes the hold on `directory`.
    /// - Throws: ``SiteAgentError/stateInUse(directory:holder:)`` when another process holds it,
    ///   ``SiteAgentError/corruptState(file:reason:)`` when the lock file cannot be opened.
    init(directory: URL) throws {
        let file = directory.appendingPathComponent("agent.lock")
        descriptor = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SiteAgentError.corruptState(file: file.path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)  // try?: only for the message
            close(descriptor)
            throw SiteAgentError.stateInUse(directory: directory.path, holder: holder.flatMap(Int32.init))
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(descriptor) }
}
