import Foundation

/// A 1 MB tmpfs mounted over a directory, for full-disk tests (mounting needs root, as CI runs).
public struct FullDisk {
    public let directory: URL
    private var filler: URL { directory.appendingPathComponent("filler") }

    /// Mounts the tmpfs over `directory` (created if missing; what it held is hidden until
    /// ``unmount()``), or prints a SKIPPED line naming `test` and returns nil when mounting is
    /// refused here.
    public static func mount(over directory: URL, test: String) throws -> FullDisk? {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let mount = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", directory.path])
        guard mount.status == 0 else {
            print("SKIPPED \(test): mounting a size-limited tmpfs was refused here (\(mount.output)); not tested on this machine")
            return nil
        }
        return FullDisk(directory: directory)
    }

    /// Writes a filler file until the disk refuses another block.
    public func fill() throws {
        try Data().write(to: filler)
        let handle = try FileHandle(forWritingTo: filler)
        while (try? handle.write(contentsOf: Data(count: 4096))) != nil {}
        try? handle.close()  // try?: the disk is full by design
    }

    /// Removes the filler: space again.
    public func makeRoom() throws {
        try FileManager.default.removeItem(at: filler)
    }

    public func unmount() {
        _ = try? runProcess("/bin/umount", [directory.path])  // try?: cleanup of a temporary mount
    }
}
