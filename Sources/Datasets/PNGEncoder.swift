import CPNG

/// Encodes images as PNG through libpng's simplified `png_image_write_to_memory`.
///
/// Supported: 8-bit grey (`.monochrome1` and `.monochrome2` are both written as plain greyscale), grey +
/// alpha, RGB and RGBA; 16-bit grey and RGB, written big endian as PNG requires, with a gAMA of 1.0 that
/// ``PNGDecoder`` reads back as the same values.
public enum PNGEncoder {
    /// Encodes a one-frame image as a PNG file.
    /// - Parameter image: An image of unsigned 8- or 16-bit samples.
    /// - Returns: The PNG file's bytes.
    /// - Throws: `DataError.unsupportedImageLayout` for signed samples, several frames, an empty image, or
    ///   16-bit samples with alpha (libpng treats those as premultiplied); `DataError.pngEncodingFailed`
    ///   with libpng's message when libpng refuses.
    public static func encode(_ image: DecodedImage) throws(DataError) -> [UInt8] {
        guard image.frames == 1, image.rows > 0, image.columns > 0,
              image.rows <= Int(Int32.max), image.columns <= Int(Int32.max) else {
            throw .unsupportedImageLayout(
                reason: "PNG holds one non-empty frame; got \(image.frames) frames of \(image.rows) × \(image.columns)")
        }
        var format: UInt32 = switch image.colorModel {
        case .monochrome1, .monochrome2: 0
        case .monochromeAlpha: PNG_FORMAT_FLAG_ALPHA
        case .rgb: PNG_FORMAT_FLAG_COLOR
        case .rgba: PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA
        }
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.columns)
        png.height = UInt32(image.rows)
        switch image.samples {
        case .uint8(let values):
            png.format = format
            return try write(&png, values)
        case .uint16(let values):
            guard format & PNG_FORMAT_FLAG_ALPHA == 0 else {
                throw .unsupportedImageLayout(reason: "16-bit PNG with alpha (libpng's linear format premultiplies it)")
            }
            format |= PNG_FORMAT_FLAG_LINEAR
            png.format = format
            return try write(&png, values)
        case .int8, .int16:
            throw .unsupportedImageLayout(reason: "PNG stores unsigned samples; the image's samples are signed")
        }
    }

    /// Writes `values` in one pass into a buffer sized for incompressible data (the filter byte per
    /// row, the stored deflate blocks and the chunks around them fit in `raw + raw/64 + 1 KiB`); should
    /// libpng still need more, it reports the size and the image is written again into that.
    private static func write<Sample>(_ png: inout png_image, _ values: [Sample]) throws(DataError) -> [UInt8] {
        let raw = values.count * MemoryLayout<Sample>.size + Int(png.height)
        var output = [UInt8](repeating: 0, count: raw + raw / 64 + 1024)
        for _ in 0..<2 {
            var written = output.count
            let encoded = values.withUnsafeBytes { samples in
                output.withUnsafeMutableBytes { destination in
                    png_image_write_to_memory(&png, destination.baseAddress, &written, 0, samples.baseAddress, 0, nil)
                }
            }
            if encoded != 0 && written <= output.count { return Array(output.prefix(written)) }
            // A failure that leaves a larger size is a buffer too small; any other is libpng's error.
            guard encoded == 0, written > output.count else { break }
            output = [UInt8](repeating: 0, count: written)
        }
        throw .pngEncodingFailed(message: PNGDecoder.message(of: png))
    }
}
