/// Why an image file could not be read, decoded or written.
///
/// Every case names the file (or the in-memory source's label) and the value found, so that a message
/// such as "MR_truncated.dcm: pixel data holds 8130 bytes, expected 8192 …" can be acted on by hospital IT.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read from disk.
    case unreadableFile(file: String, reason: String)
    /// The bytes are not a DICOM Part 10 file: no "DICM" after the 128-byte preamble.
    case notDICOM(file: String, found: String)
    /// The file ends inside an element header (tag, VR or length) or an encapsulation item header.
    case unexpectedEndOfFile(file: String, offset: Int, neededBytes: Int)
    /// An element's value runs past the end of the file.
    case truncatedElement(file: String, tag: DICOMTag, offset: Int, declaredLength: Int, availableBytes: Int)
    /// The Pixel Data element holds fewer bytes than rows × columns × samples × frames × bytes per sample.
    case truncatedPixelData(file: String, expectedBytes: Int, foundBytes: Int)
    /// An element's encoding breaks PS3.5 (an invalid VR, a bad item tag, an undefined length where none may be, nesting too deep).
    case malformedElement(file: String, tag: DICOMTag, offset: Int, reason: String)
    /// The transfer syntax is not one this reader decodes.
    case unsupportedTransferSyntax(file: String, uid: String, name: String)
    /// A required attribute is absent.
    case missingAttribute(file: String, tag: DICOMTag, name: String)
    /// An attribute holds a value this reader cannot use.
    case invalidAttribute(file: String, tag: DICOMTag, name: String, found: String, expected: String)
    /// The Photometric Interpretation is not decoded for this transfer syntax.
    case unsupportedPhotometricInterpretation(file: String, found: String, transferSyntax: String)
    /// The data set has no Pixel Data (7FE0,0010) element.
    case missingPixelData(file: String)
    /// The encapsulated pixel data cannot be split into the declared number of frames.
    case malformedEncapsulatedPixelData(file: String, reason: String)
    /// An RLE Lossless frame breaks PS3.5 Annex G (segment count, offsets or decoded length).
    case corruptRLEData(file: String, frame: Int, reason: String)
    /// A compressed frame decoded to a size other than the one the DICOM attributes declare.
    case frameGeometryMismatch(file: String, frame: Int, found: String, expected: String)
    /// A frame index outside `0..<frameCount` was requested.
    case frameOutOfRange(file: String, frame: Int, frameCount: Int)
    /// libpng refused the PNG stream (`message` is libpng's own), or it holds 16-bit samples with alpha.
    case pngDecodingFailed(file: String, message: String)
    /// libpng refused to encode the image; `message` is libpng's own.
    case pngEncodingFailed(message: String)
    /// libjpeg refused the JPEG stream, or warned that it is corrupt; `message` is libjpeg's own.
    case jpegDecodingFailed(file: String, message: String)
    /// The image's layout cannot be stored in the requested format.
    case unsupportedImageLayout(reason: String)
    /// The sample array does not hold frames × rows × columns × samplesPerPixel values.
    case sampleCountMismatch(found: Int, expected: Int)
    /// The header declares an image larger than the decoders' limit (a guard against hostile headers).
    case imageTooLarge(file: String, decodedBytes: Int, limit: Int)
    /// A VOI window narrower than 1 (PS3.3 C.11.2.1.2 requires Window Width ≥ 1).
    case invalidWindow(center: Double, width: Double)
    /// An image file that decodes but cannot be shown to the model, with why.
    case unusableImage(file: String, reason: String)

    /// A sentence stating the file, the cause and the values involved.
    public var description: String {
        switch self {
        case let .unreadableFile(file, reason):
            "\(file): cannot be read (\(reason))"
        case let .notDICOM(file, found):
            "\(file): not a DICOM Part 10 file: expected \"DICM\" at byte 128, found \(found)"
        case let .unexpectedEndOfFile(file, offset, neededBytes):
            "\(file): file ends at byte \(offset), inside an element header that needs \(neededBytes) more bytes"
        case let .truncatedElement(file, tag, offset, declaredLength, availableBytes):
            "\(file): element \(tag) at byte \(offset) declares \(declaredLength) bytes but the file holds only \(availableBytes)"
        case let .truncatedPixelData(file, expectedBytes, foundBytes):
            "\(file): pixel data holds \(foundBytes) bytes, expected \(expectedBytes) (the file is truncated or its Rows/Columns/Bits Allocated are wrong)"
        case let .malformedElement(file, tag, offset, reason):
            "\(file): element \(tag) at byte \(offset) is malformed: \(reason)"
        case let .unsupportedTransferSyntax(file, uid, name):
            "\(file): transfer syntax \(uid) (\(name)) is not supported; supported: implicit/explicit VR little endian, explicit VR big endian, RLE Lossless, JPEG Baseline"
        case let .missingAttribute(file, tag, name):
            "\(file): required attribute \(name) \(tag) is missing"
        case let .invalidAttribute(file, tag, name, found, expected):
            "\(file): attribute \(name) \(tag) is \(found), expected \(expected)"
        case let .unsupportedPhotometricInterpretation(file, found, transferSyntax):
            "\(file): Photometric Interpretation \(found) is not supported with \(transferSyntax)"
        case let .missingPixelData(file):
            "\(file): the data set has no Pixel Data (7FE0,0010) element"
        case let .malformedEncapsulatedPixelData(file, reason):
            "\(file): encapsulated pixel data is malformed: \(reason)"
        case let .corruptRLEData(file, frame, reason):
            "\(file): RLE frame \(frame) is corrupt: \(reason)"
        case let .frameGeometryMismatch(file, frame, found, expected):
            "\(file): frame \(frame) decodes to \(found), but the DICOM attributes declare \(expected)"
        case let .frameOutOfRange(file, frame, frameCount):
            "\(file): frame \(frame) requested, the file has frames 0..<\(frameCount)"
        case let .pngDecodingFailed(file, message):
            "\(file): PNG decoding failed: \(message)"
        case let .pngEncodingFailed(message):
            "PNG encoding failed: \(message)"
        case let .jpegDecodingFailed(file, message):
            "\(file): JPEG decoding failed: \(message)"
        case let .unsupportedImageLayout(reason):
            "unsupported image layout: \(reason)"
        case let .sampleCountMismatch(found, expected):
            "image holds \(found) samples, expected \(expected) (frames × rows × columns × samples per pixel)"
        case let .imageTooLarge(file, decodedBytes, limit):
            "\(file): the header declares \(decodedBytes) bytes of decoded pixels, more than the limit of \(limit)"
        case let .invalidWindow(center, width):
            "window center \(center) width \(width) is invalid: both must be finite, the width at least 1 (above 0 for LINEAR_EXACT and SIGMOID)"
        case let .unusableImage(file, reason):
            "\(file): \(reason)"
        }
    }
}
