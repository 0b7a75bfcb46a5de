import CPNG
import CPNGDecoder

/// Decodes PNG files (8- or 16-bit greyscale, grey + alpha, RGB, RGBA; palettes expand to RGB or RGBA)
/// through libpng's simplified `png_image` API, which reports errors without setjmp.
///
/// Samples come back as stored, 16-bit ones as native-endian values (PNG stores them big endian; libpng's
/// "linear" format returns them as numbers). For that, two behaviours of the simplified API are avoided:
/// - It applies the file's colour space: an 8-bit file with gAMA 1.0 reads 64 as 136, a 16-bit file with
///   an sRGB chunk reads 16384 as 3104 (both measured on libpng 1.6.39). The decoder therefore removes the
///   gAMA, sRGB, iCCP and cHRM chunks before libpng reads the stream; stored values are what a model and
///   a DICOM-derived PNG need.
/// - It premultiplies 16-bit colour by alpha (16384 with alpha 32768 reads as 8192), which cannot be
///   undone exactly, so 16-bit files with alpha (or a tRNS chunk) are read through libpng's low-level
///   API instead (`CPNGDecoder`, which recovers from libpng's errors with setjmp).
public enum PNGDecoder {
    /// Decodes a PNG stream.
    /// - Parameters:
    ///   - bytes: The PNG file's bytes.
    ///   - file: The label used in errors.
    /// - Returns: A one-frame image: `.uint8` or `.uint16` samples; `.monochrome2`, `.monochromeAlpha`,
    ///   `.rgb` or `.rgba`.
    /// - Throws: `DataError.pngDecodingFailed` with libpng's message for a stream libpng refuses (not a PNG,
    ///   bad CRC, truncated data); `DataError.imageTooLarge` beyond ``DecodedImage/maximumDecodedBytes``.
    public static func decode(_ bytes: [UInt8], file: String) throws(DataError) -> DecodedImage {
        // libpng reads the memory lazily, from begin_read until finish_read: the buffer must outlive both.
        let result: Result<DecodedImage, DataError> = withoutColorSpaceChunks(bytes).withUnsafeBytes { stream in
            Result { () throws(DataError) in try decode(stream, file: file) }
        }
        return try result.get()
    }

    private static func decode(_ stream: UnsafeRawBufferPointer, file: String) throws(DataError) -> DecodedImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&image, stream.baseAddress, stream.count) != 0 else {
            throw .pngDecodingFailed(file: file, message: Self.message(of: image))
        }
        // Ask for direct samples in the file's own layout: palette images expand, 16-bit files stay 16-bit.
        image.format &= PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_LINEAR
        let hasAlpha = image.format & PNG_FORMAT_FLAG_ALPHA != 0
        let colorModel: ColorModel = switch (image.format & PNG_FORMAT_FLAG_COLOR != 0, hasAlpha) {
        case (false, false): .monochrome2
        case (false, true): .monochromeAlpha
        case (true, false): .rgb
        case (true, true): .rgba
        }
        let isSixteenBit = image.format & PNG_FORMAT_FLAG_LINEAR != 0
        let rows = Int(image.height)
        let columns = Int(image.width)
        let sampleCount = rows * columns * colorModel.samplesPerPixel
        let decodedBytes = sampleCount * (isSixteenBit ? 2 : 1)
        guard decodedBytes <= DecodedImage.maximumDecodedBytes else {
            png_image_free(&image)
            throw .imageTooLarge(file: file, decodedBytes: decodedBytes, limit: DecodedImage.maximumDecodedBytes)
        }
        if isSixteenBit && hasAlpha {
            png_image_free(&image)
            return try DecodedImage(rows: rows, columns: columns, colorModel: colorModel,
                                    samples: .uint16(try sixteenBitWithAlpha(stream, sampleCount: sampleCount, file: file)))
        }
        let samples: PixelSamples
        if isSixteenBit {
            var values = [UInt16](repeating: 0, count: sampleCount)
            try finishRead(&image, into: &values, file: file)
            samples = .uint16(values)
        } else {
            var values = [UInt8](repeating: 0, count: sampleCount)
            try finishRead(&image, into: &values, file: file)
            samples = .uint8(values)
        }
        return try DecodedImage(rows: rows, columns: columns, colorModel: colorModel, samples: samples)
    }

    /// The stored samples of a 16-bit stream with alpha, unpremultiplied, through `CPNGDecoder`.
    private static func sixteenBitWithAlpha(_ stream: UnsafeRawBufferPointer, sampleCount: Int, file: String) throws(DataError) -> [UInt16] {
        var values = [UInt16](repeating: 0, count: sampleCount)
        var geometry = tessera_png_geometry()
        var message = [CChar](repeating: 0, count: 256)
        let status = values.withUnsafeMutableBufferPointer { output in
            tessera_png_decode_sixteen_bit_alpha(stream.baseAddress?.assumingMemoryBound(to: UInt8.self), stream.count,
                                                 output.baseAddress, output.count, &geometry, &message, message.count)
        }
        guard status == TESSERA_PNG_OK, Int(geometry.width) * Int(geometry.height) * Int(geometry.channels) == sampleCount else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw .pngDecodingFailed(file: file, message: text.isEmpty ? "16-bit PNG with alpha: unexpected geometry" : text)
        }
        return values
    }

    /// The stream without its gAMA, sRGB, iCCP and cHRM chunks, so that libpng assumes the identity
    /// transform (sRGB for 8-bit, linear for 16-bit). Each chunk is 4 bytes of big-endian length, 4 of type,
    /// the data and a 4-byte CRC; a chunk running past the end is kept as is, for libpng to report.
    private static func withoutColorSpaceChunks(_ bytes: [UInt8]) -> [UInt8] {
        let signatureLength = 8
        let removed: Set<[UInt8]> = [Array("gAMA".utf8), Array("sRGB".utf8), Array("iCCP".utf8), Array("cHRM".utf8)]
        guard bytes.count > signatureLength else { return bytes }
        var output = Array(bytes[0..<signatureLength])
        output.reserveCapacity(bytes.count)
        var offset = signatureLength
        while offset + 12 <= bytes.count {
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let end = offset + 12 + length
            guard end <= bytes.count else { break }
            if !removed.contains(Array(bytes[(offset + 4)..<(offset + 8)])) {
                output.append(contentsOf: bytes[offset..<end])
            }
            offset = end
        }
        output.append(contentsOf: bytes[offset...])
        return output
    }

    /// Decodes the image into `values` (which libpng frees the image's resources after, on success or failure).
    private static func finishRead<Sample>(_ image: inout png_image, into values: inout [Sample], file: String)
        throws(DataError)
    {
        let finished = values.withUnsafeMutableBytes { buffer in
            png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil)
        }
        guard finished != 0 else {
            throw .pngDecodingFailed(file: file, message: Self.message(of: image))
        }
    }

    /// libpng's NUL-terminated message in `image.message`.
    static func message(of image: png_image) -> String {
        withUnsafeBytes(of: image.message) { buffer in
            String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
