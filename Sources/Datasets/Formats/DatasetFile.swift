import Foundation

/// File access shared by the dataset readers and writers: whole-file reads, atomic-enough writes
/// (create directories, then write), image path resolution, and field access with positioned errors.
enum DatasetFile {
    /// The bytes of the regular file at `path` (a symbolic link is followed).
    /// - Throws: `DatasetError.unreadableFile`, also for a device or pipe (`/dev/zero` would never end).
    static func bytes(at path: String) throws(DatasetError) -> [UInt8] {
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            throw .unreadableFile(file: path, reason: "not a regular file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or not a regular file" : "no such file"
            throw .unreadableFile(file: path, reason: reason)
        }
        return [UInt8](data)
    }

    /// Writes `bytes` to `path`, creating its directory.
    ///
    /// Plain POSIX open/write/close: Foundation's `Data.write` syncs each file to disk, which made
    /// writing thousands of 3 KB PNGs cost more than generating them.
    /// - Throws: `DatasetError.unwritableFile`.
    static func write(_ bytes: [UInt8], to path: String) throws(DatasetError) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try createDirectory(directory)
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw .unwritableFile(file: path, reason: String(cString: strerror(errno))) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress.map { $0 + written }, bytes.count - written)
            }
            guard result > 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                throw .unwritableFile(file: path, reason: reason)
            }
            written += result
        }
        guard close(descriptor) == 0 else { throw .unwritableFile(file: path, reason: String(cString: strerror(errno))) }
    }

    /// Writes `text` as UTF-8 to `path`, creating its directory.
    static func write(_ text: String, to path: String) throws(DatasetError) {
        try write(Array(text.utf8), to: path)
    }

    /// Creates `path` and its parents.
    static func createDirectory(_ path: String) throws(DatasetError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .unwritableFile(file: path, reason: error.localizedDescription)
        }
    }

    /// The directory holding `path` ("." for a bare file name).
    static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// `relative` under `root`; an absolute path stays as it is.
    static func join(_ root: String, _ relative: String) -> String {
        relative.hasPrefix("/") ? relative : (root as NSString).appendingPathComponent(relative)
    }

    /// The first existing `root/relative` among `roots`, or `nil`.
    static func resolve(_ relative: String, in roots: [String]) -> String? {
        if relative.hasPrefix("/") { return FileManager.default.fileExists(atPath: relative) ? relative : nil }
        return roots.map { join($0, relative) }.first { FileManager.default.fileExists(atPath: $0) }
    }
}

/// Reads the fields of item `index` of `file`, throwing errors that name both.
struct ItemFields {
    let file: String
    let index: Int
    let value: JSONValue

    /// A required string (or, leniently, an integer or number written as its decimal text).
    func text(_ field: String) throws(DatasetError) -> String {
        guard let found = value[field] else { throw .missingField(file: file, item: index, field: field) }
        return try text(found, field: field)
    }

    /// An optional string; `nil` when absent, null, or the "NULL" placeholder real VQA-RAD uses.
    func optionalText(_ field: String) throws(DatasetError) -> String? {
        guard let found = value[field], found != .null else { return nil }
        let text = try text(found, field: field)
        return text == "NULL" ? nil : text
    }

    private func text(_ found: JSONValue, field: String) throws(DatasetError) -> String {
        switch found {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .number(let number): return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        default: throw .invalidField(file: file, item: index, field: field, found: found.typeName, expected: "a string")
        }
    }

    /// The item's keys that are not in `known`.
    func unknownKeys(_ known: Set<String>) -> [String] {
        value.keys.filter { !known.contains($0) }
    }
}
