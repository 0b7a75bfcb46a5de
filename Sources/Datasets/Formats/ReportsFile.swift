import Foundation

/// A site's reports-only data: JSON lines of `{"image": "images/x.png", "report": "…"}`, one per image,
/// the image path relative to the file's directory.
public struct ReportsFile: Sendable {
    /// One image and its report.
    public struct Entry: Sendable, Equatable {
        /// The image path relative to the file's directory.
        public var image: String
        /// The report text.
        public var report: String

        /// Creates an entry.
        public init(image: String, report: String) {
            self.image = image
            self.report = report
        }
    }

    /// The file the entries came from.
    public let file: String
    /// The entries, in file order.
    public let entries: [Entry]
    /// The path of each entry's image (parallel to ``entries``).
    public let imageFiles: [String]
    /// Unknown fields met while reading.
    public let summary: DatasetLoadSummary

    private static let knownFields: Set<String> = ["image", "report"]

    /// Reads `path`; blank lines are skipped, and item indices in errors are 0-based line numbers.
    /// - Throws: `DatasetError.unreadableFile`, `.malformedJSON` (with the file's own line number),
    ///   `.missingField`, `.invalidField`, `.missingImage`.
    public init(contentsOf path: String, checkImages: Bool = true) throws(DatasetError) {
        let bytes = try DatasetFile.bytes(at: path)
        var entries: [Entry] = []
        var imageFiles: [String] = []
        var summary = DatasetLoadSummary()
        let root = DatasetFile.directory(of: path)
        for (lineIndex, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }) else { continue }
            let value: JSONValue
            do {
                value = try JSONParser.parse(Array(line), file: path)
            } catch .malformedJSON(_, _, let column, let reason) {
                throw .malformedJSON(file: path, line: lineIndex + 1, column: column, reason: reason)
            } catch {
                throw error
            }
            guard case .object = value else {
                throw .invalidField(file: path, item: lineIndex, field: "(line)", found: value.typeName, expected: "an object")
            }
            let fields = ItemFields(file: path, index: lineIndex, value: value)
            summary.noteUnknown(fields.unknownKeys(Self.knownFields))
            let entry = Entry(image: try fields.text("image"), report: try fields.text("report"))
            let imageFile = DatasetFile.join(root, entry.image)
            if checkImages && !FileManager.default.fileExists(atPath: imageFile) {
                throw .missingImage(file: path, item: lineIndex, image: entry.image)
            }
            entries.append(entry)
            imageFiles.append(imageFile)
        }
        summary.loaded = entries.count
        self.file = path
        self.entries = entries
        self.imageFiles = imageFiles
        self.summary = summary
    }

    /// The JSON-lines text of `entries`.
    public static func encoded(_ entries: [Entry]) -> String {
        entries.map { JSONValue.object([("image", .string($0.image)), ("report", .string($0.report))]).serialized + "\n" }.joined()
    }
}
