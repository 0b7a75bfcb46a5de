/// Decodes one frame of DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of little-endian UInt32s
/// (the segment count, then up to 15 segment offsets) followed by PackBits-encoded segments, one per
/// byte plane of each sample, most significant byte first.
enum RLEDecoder {
    /// The decoded segments of one frame, concatenated: segment k holds byte plane k, `pixelCount` bytes.
    /// - Parameters:
    ///   - frame: The compressed frame (header and segments).
    ///   - segmentCount: Samples per pixel × bytes per sample; the header must declare exactly this many.
    ///   - pixelCount: Rows × columns: the length of every decoded segment.
    ///   - file: The label used in errors.
    ///   - frameIndex: The frame's index, for errors.
    /// - Throws: `DataError.corruptRLEData` when the header, an offset or a segment is inconsistent.
    static func decodeSegments(_ frame: [UInt8], segmentCount: Int, pixelCount: Int, file: String,
                               frameIndex: Int) throws(DataError) -> [UInt8]
    {
        func corrupt(_ reason: String) -> DataError {
            .corruptRLEData(file: file, frame: frameIndex, reason: reason)
        }
        let headerLength = 64
        guard frame.count >= headerLength else {
            throw corrupt("\(frame.count) bytes, shorter than the 64-byte RLE header")
        }
        var header = ByteReader(bytes: frame, file: file)
        let declaredSegments = Int(try header.readUInt32())
        guard declaredSegments == segmentCount else {
            throw corrupt("header declares \(declaredSegments) segments, expected \(segmentCount) (samples × bytes per sample)")
        }
        var offsets: [Int] = []
        for _ in 0..<segmentCount {
            offsets.append(Int(try header.readUInt32()))
        }
        offsets.append(frame.count)
        for segment in 0..<segmentCount {
            let start = offsets[segment]
            let end = offsets[segment + 1]
            guard start >= headerLength, start <= end, end <= frame.count else {
                throw corrupt("segment \(segment) spans bytes \(start)..<\(end) of a \(frame.count)-byte frame")
            }
            // A 2-byte replicate run yields at most 128 bytes: checked before allocating the output.
            guard pixelCount <= 64 * (end - start) else {
                throw corrupt("segment \(segment) of \(end - start) bytes cannot expand to \(pixelCount) bytes")
            }
        }
        var output = [UInt8](repeating: 0, count: segmentCount * pixelCount)
        for segment in 0..<segmentCount {
            let (start, end) = (offsets[segment], offsets[segment + 1])
            let written = unpackBits(frame, from: start, to: end, into: &output,
                                     at: segment * pixelCount, count: pixelCount)
            guard written == pixelCount else {
                throw corrupt("segment \(segment) decodes to \(written) bytes, expected \(pixelCount)")
            }
        }
        return output
    }

    /// Expands PackBits runs from `input[start..<end]` into `output[outputStart...]`, stopping after `count`
    /// bytes (encoders may pad a segment with a trailing run). A header byte n in 0...127 copies the next
    /// n + 1 bytes; n in −127...−1 repeats the next byte 1 − n times; −128 is a no-op (PS3.5 G.3.1).
    /// - Returns: The number of bytes written, less than `count` when the segment runs short.
    private static func unpackBits(_ input: [UInt8], from start: Int, to end: Int, into output: inout [UInt8],
                                   at outputStart: Int, count: Int) -> Int
    {
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                var position = start
                var written = 0
                while position < end, written < count {
                    let control = Int(Int8(bitPattern: source[position]))
                    position += 1
                    if control >= 0 {
                        let length = min(control + 1, end - position, count - written)
                        for index in 0..<length {
                            destination[outputStart + written + index] = source[position + index]
                        }
                        written += length
                        position += control + 1
                        if length < control + 1, written < count { return written }
                    } else if control != -128 {
                        guard position < end else { return written }
                        let length = min(1 - control, count - written)
                        let value = source[position]
                        for index in 0..<length {
                            destination[outputStart + written + index] = value
                        }
                        written += length
                        position += 1
                    }
                }
                return written
            }
        }
    }
}
