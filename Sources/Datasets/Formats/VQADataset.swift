/// VQA items from a JSON array in the VQA-RAD or the SLAKE layout, chosen by content; written in
/// either (the VQA-RAD layout plus `modality` by default).
///
/// - VQA-RAD (`VQA_RAD Dataset Public.json`): `qid`, `image_name`, `question`, `answer` (a string or
///   an integer), `answer_type` (`CLOSED`/`OPEN`, any case, spaces trimmed), `question_type`,
///   `image_organ`; other fields hold the string "NULL" when empty and are ignored.
/// - SLAKE (`train.json`, `validate.json`, `test.json`): `qid`, `img_name` (`xmlab1/source.jpg`, relative
///   to `imgs/`), `question`, `answer`, `answer_type`, `q_lang` (`en`/`zh`), `content_type`, `modality`.
///   Non-English items are skipped and counted.
/// The layout is SLAKE when the first item has `img_name` or `q_lang`, VQA-RAD when it has `image_name`.
/// Unknown fields are ignored and counted; items with a "NULL" question or answer are skipped and counted.
/// Images are found as the public releases lay them out: beside the JSON file, or in its `imgs/`
/// (SLAKE), `images/` (MedSynth) or `VQA_RAD Image Folder/` (VQA-RAD) subdirectory.
public struct VQADataset: Sendable {
    /// The layouts the loader reads.
    public enum Layout: String, Sendable {
        case vqaRAD = "VQA-RAD"
        case slake = "SLAKE"
    }

    /// The file the items came from.
    public let file: String
    /// The layout detected (VQA-RAD for an empty array).
    public let layout: Layout
    /// The items kept, in file order.
    public let items: [VQAItem]
    /// The path of each item's image (parallel to ``items``), found under the image directories.
    public let imageFiles: [String]
    /// Items skipped and unknown fields.
    public let summary: DatasetLoadSummary

    private static let radFields: Set<String> = [
        "qid", "image_name", "question", "answer", "answer_type", "question_type", "image_organ", "modality",
        "phrase_type", "qid_linked_id", "image_case_url", "question_rephrase", "question_relation", "question_frame",
        "evaluation",
    ]
    private static let slakeFields: Set<String> = [
        "qid", "img_id", "img_name", "question", "answer", "answer_type", "q_lang", "content_type", "modality",
        "location", "base_type", "triple",
    ]

    /// The subdirectories of a VQA file's directory searched for its images, after the directory itself.
    public static let imageSubdirectories = ["imgs", "images", "VQA_RAD Image Folder"]

    /// Reads `path` and finds every item's image.
    /// - Parameters:
    ///   - imageDirectory: Where image paths are relative to; when `nil`, the JSON file's directory,
    ///     then its ``imageSubdirectories``.
    ///   - checkImages: Whether to check that each image exists (without, ``imageFiles`` are the paths
    ///     under the first directory).
    /// - Throws: `DatasetError.unreadableFile`, `.malformedJSON`, `.unexpectedTopLevel`,
    ///   `.unrecognisedFormat`, `.missingField`, `.invalidField`, `.missingImage` (naming the item's
    ///   position in the file, skipped items included).
    public init(contentsOf path: String, imageDirectory: String? = nil, checkImages: Bool = true) throws(DatasetError) {
        let decoded = try Self.decodeItems(DatasetFile.bytes(at: path), file: path)
        let directory = DatasetFile.directory(of: path)
        let roots = imageDirectory.map { [$0] } ?? [directory] + Self.imageSubdirectories.map { directory + "/" + $0 }
        var imageFiles: [String] = []
        imageFiles.reserveCapacity(decoded.items.count)
        for (item, position) in zip(decoded.items, decoded.positions) {
            if checkImages {
                guard let found = DatasetFile.resolve(item.image, in: roots) else {
                    throw .missingImage(file: path, item: position, image: item.image)
                }
                imageFiles.append(found)
            } else {
                imageFiles.append(DatasetFile.join(roots[0], item.image))
            }
        }
        self.file = path
        self.layout = decoded.layout
        self.items = decoded.items
        self.imageFiles = imageFiles
        self.summary = decoded.summary
    }

    /// Decodes VQA JSON held in memory. Item indices in errors count every item, skipped ones included.
    public static func decode(_ bytes: [UInt8], file: String) throws(DatasetError) -> (Layout, [VQAItem], DatasetLoadSummary) {
        let decoded = try decodeItems(bytes, file: file)
        return (decoded.layout, decoded.items, decoded.summary)
    }

    /// The items kept with their positions in the file's array.
    private static func decodeItems(_ bytes: [UInt8], file: String) throws(DatasetError)
        -> (layout: Layout, items: [VQAItem], positions: [Int], summary: DatasetLoadSummary) {
        let root = try JSONParser.parse(bytes, file: file)
        guard case .array(let values) = root else {
            throw .unexpectedTopLevel(file: file, found: root.typeName, expected: "an array of question objects")
        }
        var layout = Layout.vqaRAD
        if let first = values.first {
            if first["img_name"] != nil || first["q_lang"] != nil {
                layout = .slake
            } else if first["image_name"] == nil {
                throw .unrecognisedFormat(file: file, reason: "item 0 has neither \"image_name\" (VQA-RAD) nor \"img_name\" (SLAKE); its fields: \(first.keys.joined(separator: ", "))")
            }
        }
        var summary = DatasetLoadSummary()
        var items: [VQAItem] = []
        var positions: [Int] = []
        for (index, value) in values.enumerated() {
            guard case .object = value else {
                throw .invalidField(file: file, item: index, field: "(item)", found: value.typeName, expected: "an object")
            }
            let fields = ItemFields(file: file, index: index, value: value)
            summary.noteUnknown(fields.unknownKeys(layout == .slake ? slakeFields : radFields))
            if layout == .slake, let language = try fields.optionalText("q_lang"), language != "en" {
                summary.skip("non-English (q_lang \(language))")
                continue
            }
            let question = try fields.text("question"), answer = try fields.text("answer")
            guard question != "NULL", answer != "NULL" else {
                summary.skip("question or answer is \"NULL\"")
                continue
            }
            let typeText = try fields.text("answer_type")
            guard let answerType = VQAItem.AnswerType(rawValue: typeText.trimmingSpaces.uppercased()) else {
                throw .invalidField(file: file, item: index, field: "answer_type", found: "\"\(typeText)\"", expected: "\"CLOSED\" or \"OPEN\"")
            }
            let questionType: String?
            let modality: String?
            switch layout {
            case .vqaRAD:
                questionType = try fields.optionalText("question_type")
                let organ = try fields.optionalText("image_organ")
                modality = try fields.optionalText("modality") ?? organ
            case .slake:
                questionType = try fields.optionalText("content_type")
                modality = try fields.optionalText("modality")
            }
            items.append(VQAItem(id: try fields.text("qid"), image: try fields.text(layout == .slake ? "img_name" : "image_name"),
                                 question: question, answer: answer.trimmingSpaces, answerType: answerType,
                                 questionType: questionType?.trimmingSpaces ?? "OTHER", modality: modality?.trimmingSpaces))
            positions.append(index)
        }
        summary.loaded = items.count
        return (layout, items, positions, summary)
    }

    /// The JSON text of `items` in `layout`: VQA-RAD's fields plus `modality` (omitted when `nil`), or
    /// SLAKE's (`qid`, `img_name`, `question`, `answer`, `answer_type`, `q_lang` "en",
    /// `content_type`, `modality`). Either reads back as the same items.
    public static func encoded(_ items: [VQAItem], layout: Layout = .vqaRAD) -> String {
        JSONValue.fileText(ofArray: items.map { item in
            var members: [(key: String, value: JSONValue)]
            switch layout {
            case .vqaRAD:
                members = [
                    ("qid", .string(item.id)), ("image_name", .string(item.image)), ("question", .string(item.question)),
                    ("answer", .string(item.answer)), ("answer_type", .string(item.answerType.rawValue)),
                    ("question_type", .string(item.questionType)),
                ]
            case .slake:
                members = [
                    ("qid", .string(item.id)), ("img_name", .string(item.image)), ("question", .string(item.question)),
                    ("answer", .string(item.answer)), ("answer_type", .string(item.answerType.rawValue)), ("q_lang", .string("en")),
                    ("content_type", .string(item.questionType)),
                ]
            }
            if let modality = item.modality { members.append(("modality", .string(modality))) }
            return .object(members)
        })
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !" \t\n\r".unicodeScalars.contains($0) }),
              let last = scalars.lastIndex(where: { !" \t\n\r".unicodeScalars.contains($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
