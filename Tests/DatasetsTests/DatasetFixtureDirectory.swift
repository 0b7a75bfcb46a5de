import Foundation

/// A temporary directory holding small dataset files written by a test, removed by `remove()`.
struct DatasetFixtureDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "datasets-fixture-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path + "/images", withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` under the directory and returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
