/// Why a dataset file could not be read or written, or a MedSynth option is unusable.
///
/// Every case names the file and where in it: a line and column for JSON syntax, the item index
/// (0-based, the position in the top-level array or the JSON-lines line) for content errors.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read.
    case unreadableFile(file: String, reason: String)
    /// The file or directory could not be written.
    case unwritableFile(file: String, reason: String)
    /// The text is not valid JSON at this line and column (both from 1).
    case malformedJSON(file: String, line: Int, column: Int, reason: String)
    /// The top level is not the JSON type the format needs.
    case unexpectedTopLevel(file: String, found: String, expected: String)
    /// An item lacks a field the format requires.
    case missingField(file: String, item: Int, field: String)
    /// An item's field holds a value of the wrong type or outside the allowed set.
    case invalidField(file: String, item: Int, field: String, found: String, expected: String)
    /// The content matches none of the formats the loader reads.
    case unrecognisedFormat(file: String, reason: String)
    /// An item names an image that does not exist.
    case missingImage(file: String, item: Int, image: String)
    /// An image file is neither PNG, JPEG nor DICOM.
    case unsupportedImageFormat(file: String, found: String)
    /// An image file could not be decoded (the decoder's own error).
    case imageDecoding(DataError)
    /// A MedSynth option is outside its range.
    case invalidOption(name: String, value: String, expected: String)

    /// A sentence naming the file, the position and the values involved.
    public var description: String {
        switch self {
        case let .unreadableFile(file, reason):
            "\(file): cannot be read (\(reason))"
        case let .unwritableFile(file, reason):
            "\(file): cannot be written (\(reason))"
        case let .malformedJSON(file, line, column, reason):
            "\(file): line \(line), column \(column): \(reason)"
        case let .unexpectedTopLevel(file, found, expected):
            "\(file): the top level is \(found), expected \(expected)"
        case let .missingField(file, item, field):
            "\(file): item \(item) has no \"\(field)\" field"
        case let .invalidField(file, item, field, found, expected):
            "\(file): item \(item): \"\(field)\" is \(found), expected \(expected)"
        case let .unrecognisedFormat(file, reason):
            "\(file): not a dataset format this loader reads (\(reason))"
        case let .missingImage(file, item, image):
            "\(file): item \(item) names image \(image), which does not exist"
        case let .unsupportedImageFormat(file, found):
            "\(file): not a PNG, JPEG or DICOM file (starts with \(found))"
        case let .imageDecoding(error):
            error.description
        case let .invalidOption(name, value, expected):
            "option \(name) is \(value), expected \(expected)"
        }
    }
}
