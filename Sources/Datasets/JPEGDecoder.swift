import CJPEGDecoder

/// Decodes baseline JPEG (8-bit greyscale, and YCbCr or RGB to RGB) through libjpeg-turbo.
///
/// libjpeg's fatal errors and its corrupt-data warnings (a truncated stream, data lost before a marker)
/// both become `DataError.jpegDecodingFailed` carrying libjpeg's message: the C wrapper in
/// `CJPEGDecoder` recovers with setjmp/longjmp, so a bad stream never ends the process, and a
/// truncated image is refused rather than padded with grey as libjpeg would by default.
public enum JPEGDecoder {
    /// Decodes a JPEG stream.
    /// - Parameters:
    ///   - bytes: The JPEG stream, from SOI (FF D8) to EOI (FF D9).
    ///   - file: The label used in errors.
    /// - Returns: An 8-bit image, `.monochrome2` for one component, `.rgb` for three (YCbCr converted by
    ///   libjpeg with its default integer IDCT and fancy upsampling).
    /// - Throws: `DataError.imageTooLarge` when the header declares more than
    ///   ``DecodedImage/maximumDecodedBytes``; `DataError.jpegDecodingFailed` with libjpeg's message for any stream libjpeg refuses or
    ///   warns about, or whose colour space (CMYK, YCCK) has no greyscale or RGB output.
    public static func decode(_ bytes: [UInt8], file: String) throws(DataError) -> DecodedImage {
        var geometry = tessera_jpeg_geometry()
        var message = [CChar](repeating: 0, count: 256)
        let headerStatus = bytes.withUnsafeBufferPointer { input in
            tessera_jpeg_read_geometry(input.baseAddress, input.count, &geometry, &message, message.count)
        }
        guard headerStatus == TESSERA_JPEG_OK else {
            throw .jpegDecodingFailed(file: file, message: Self.text(of: message))
        }
        let width = Int(geometry.width)
        let height = Int(geometry.height)
        let components = Int(geometry.components)
        let colorModel: ColorModel
        switch components {
        case 1: colorModel = .monochrome2
        case 3: colorModel = .rgb
        default:
            throw .jpegDecodingFailed(file: file, message: "\(components) output components, expected 1 or 3")
        }
        let decodedBytes = width * height * components
        guard decodedBytes <= DecodedImage.maximumDecodedBytes else {
            throw .imageTooLarge(file: file, decodedBytes: decodedBytes, limit: DecodedImage.maximumDecodedBytes)
        }
        var pixels = [UInt8](repeating: 0, count: decodedBytes)
        let status = bytes.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { output in
                tessera_jpeg_decode(input.baseAddress, input.count, output.baseAddress, output.count, &geometry,
                                    &message, message.count)
            }
        }
        guard status == TESSERA_JPEG_OK else {
            throw .jpegDecodingFailed(file: file, message: Self.text(of: message))
        }
        return try DecodedImage(rows: height, columns: width, colorModel: colorModel, samples: .uint8(pixels))
    }

    /// The NUL-terminated message written by the C wrapper.
    private static func text(of message: [CChar]) -> String {
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
