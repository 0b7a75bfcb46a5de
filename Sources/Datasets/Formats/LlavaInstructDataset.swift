import Foundation

/// LLaVA-Med instruction data: a JSON array of ``InstructRecord``s, read and written.
///
/// Reading is strict about structure (a turn's `from` must be `human` or `gpt`; `extended_answers`,
/// when present, holds one string per gpt turn) and lenient about extras (unknown fields are ignored
/// and counted in ``summary``). Images are resolved against the image directory, by default the
/// JSON file's directory.
public struct LlavaInstructDataset: Sendable {
    /// The file the records came from.
    public let file: String
    /// The records, in file order.
    public let records: [InstructRecord]
    /// The path of each record's image (parallel to ``records``; `nil` for a text-only record).
    public let imageFiles: [String?]
    /// Unknown fields met while reading.
    public let summary: DatasetLoadSummary

    private static let knownFields: Set<String> = ["id", "image", "conversations", "extended_answers"]

    /// Reads `path` and checks that every record's image exists.
    /// - Parameters:
    ///   - imageDirectory: Where `image` paths are relative to; the JSON file's directory when `nil`.
    ///   - checkImages: Whether to check that each image exists.
    /// - Throws: `DatasetError.unreadableFile`, `.malformedJSON`, `.unexpectedTopLevel`, `.missingField`,
    ///   `.invalidField`, `.missingImage`.
    public init(contentsOf path: String, imageDirectory: String? = nil, checkImages: Bool = true) throws(DatasetError) {
        let (records, positions, summary) = try Self.decodeWithPositions(DatasetFile.bytes(at: path), file: path)
        let root = imageDirectory ?? DatasetFile.directory(of: path)
        var imageFiles: [String?] = []
        imageFiles.reserveCapacity(records.count)
        for (index, record) in zip(positions, records) {
            guard let image = record.image else {
                imageFiles.append(nil)
                continue
            }
            let file = DatasetFile.join(root, image)
            if checkImages && !FileManager.default.fileExists(atPath: file) {
                throw .missingImage(file: path, item: index, image: image)
            }
            imageFiles.append(file)
        }
        self.file = path
        self.records = records
        self.imageFiles = imageFiles
        self.summary = summary
    }

    /// Decodes LLaVA-Med JSON held in memory.
    /// - Parameter file: The label used in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws(DatasetError) -> ([InstructRecord], DatasetLoadSummary) {
        let (records, _, summary) = try decodeWithPositions(bytes, file: file)
        return (records, summary)
    }

    /// ``decode(_:file:)`` with each kept record's position in the file (errors name positions).
    private static func decodeWithPositions(_ bytes: [UInt8], file: String) throws(DatasetError) -> ([InstructRecord], [Int], DatasetLoadSummary) {
        let root = try JSONParser.parse(bytes, file: file)
        guard case .array(let items) = root else {
            throw .unexpectedTopLevel(file: file, found: root.typeName, expected: "an array of records")
        }
        var summary = DatasetLoadSummary()
        var records: [InstructRecord] = [], positions: [Int] = []
        records.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .object = item else {
                throw .invalidField(file: file, item: index, field: "(item)", found: item.typeName, expected: "an object")
            }
            let fields = ItemFields(file: file, index: index, value: item)
            summary.noteUnknown(fields.unknownKeys(knownFields))
            guard let conversations = item["conversations"] else { throw .missingField(file: file, item: index, field: "conversations") }
            guard case .array(let turnValues) = conversations else {
                throw .invalidField(file: file, item: index, field: "conversations", found: conversations.typeName, expected: "an array")
            }
            var turns: [InstructRecord.Turn] = []
            for (position, turnValue) in turnValues.enumerated() {
                let turnFields = ItemFields(file: file, index: index, value: turnValue)
                let from = try turnFields.text("from")
                guard let speaker = InstructRecord.Speaker(rawValue: from) else {
                    throw .invalidField(file: file, item: index, field: "conversations[\(position)].from",
                                        found: "\"\(from)\"", expected: "\"human\" or \"gpt\"")
                }
                turns.append(.init(speaker: speaker, value: try turnFields.text("value")))
            }
            let image = try fields.optionalText("image")
            if let reason = unusableConversation(turns, image: image) {
                summary.skip(reason)
                continue
            }
            var extended: [String]?
            if let value = item["extended_answers"], value != .null {
                guard case .array(let answers) = value else {
                    throw .invalidField(file: file, item: index, field: "extended_answers", found: value.typeName, expected: "an array of strings")
                }
                let texts = answers.compactMap { if case .string(let text) = $0 { text } else { nil } }
                let gptTurns = turns.filter { $0.speaker == .gpt }.count
                guard texts.count == answers.count, texts.count == gptTurns else {
                    throw .invalidField(file: file, item: index, field: "extended_answers", found: "\(answers.count) values",
                                        expected: "\(gptTurns) strings, one per gpt turn")
                }
                extended = texts
            }
            records.append(InstructRecord(id: try fields.text("id"), image: image, conversations: turns, extendedAnswers: extended))
            positions.append(index)
        }
        summary.loaded = records.count
        return (records, positions, summary)
    }

    /// Why the chat template cannot encode a conversation, if it cannot: it must start with a
    /// human turn, and hold one `<image>` placeholder when the record has an image and none when
    /// it has not. Such records are skipped and counted when the file is read (the summary's
    /// note names the reasons), rather than failing at the training step that first draws them.
    /// An empty conversation passes here; an objective that needs one says so when training starts.
    private static func unusableConversation(_ turns: [InstructRecord.Turn], image: String?) -> String? {
        guard let first = turns.first else { return nil }
        guard first.speaker == .human else { return "conversation starts with a gpt turn" }
        let placeholders = turns.reduce(0) { $0 + $1.value.components(separatedBy: InstructRecord.imagePlaceholder).count - 1 }
        switch (image, placeholders) {
        case (nil, 0), (_?, 1): return nil
        case (nil, _): return "<image> placeholder without an image"
        case (_?, 0): return "image without an <image> placeholder"
        default: return "more than one <image> placeholder"
        }
    }

    /// The JSON text of `records` (one record per line; `extended_answers` only when present).
    public static func encoded(_ records: [InstructRecord]) -> String {
        JSONValue.fileText(ofArray: records.map { record in
            var members: [(key: String, value: JSONValue)] = [("id", .string(record.id))]
            if let image = record.image { members.append(("image", .string(image))) }
            members.append(("conversations", .array(record.conversations.map { turn in
                .object([("from", .string(turn.speaker.rawValue)), ("value", .string(turn.value))])
            })))
            if let extended = record.extendedAnswers { members.append(("extended_answers", .array(extended.map { .string($0) }))) }
            return .object(members)
        })
    }
}
