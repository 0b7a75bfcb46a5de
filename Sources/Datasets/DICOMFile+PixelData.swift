/// Decoding of the Pixel Data element into stored values, the way pydicom's `pixel_array` does:
/// frames × rows × columns × samples, interleaved, samples masked to Bits Stored (sign-extended when
/// Pixel Representation is 1; High Bit is assumed to be Bits Stored − 1).
extension DICOMFile {
    /// Decodes every frame.
    /// - Returns: An image of `numberOfFrames` frames, values as stored (apply ``rescaleSlope`` and
    ///   ``rescaleIntercept`` with ``DecodedImage/rescaledValues(slope:intercept:)``).
    /// - Throws: `DataError.unsupportedTransferSyntax`, `.unsupportedPhotometricInterpretation`,
    ///   `.truncatedPixelData` when native pixel data is shorter than the attributes declare,
    ///   `.malformedEncapsulatedPixelData`, `.corruptRLEData`, `.jpegDecodingFailed`,
    ///   `.frameGeometryMismatch`, `.imageTooLarge` beyond ``DecodedImage/maximumDecodedBytes``.
    public func decodedImage() throws(DataError) -> DecodedImage {
        try decodeFrames(0..<numberOfFrames)
    }

    /// Decodes one frame.
    /// - Parameter index: The frame, in `0..<numberOfFrames`.
    /// - Returns: A one-frame image.
    /// - Throws: `DataError.frameOutOfRange` for an index outside the file, and the errors of
    ///   ``decodedImage()``.
    public func decodedFrame(_ index: Int) throws(DataError) -> DecodedImage {
        guard (0..<numberOfFrames).contains(index) else {
            throw .frameOutOfRange(file: file, frame: index, frameCount: numberOfFrames)
        }
        return try decodeFrames(index..<(index + 1))
    }

    private var pixelCount: Int { rows * columns }
    private var bytesPerSample: Int { bitsAllocated / 8 }

    private func decodeFrames(_ frames: Range<Int>) throws(DataError) -> DecodedImage {
        let colorModel = try decodedColorModel()
        let frameBytes = pixelCount * samplesPerPixel * bytesPerSample
        let (decodedBytes, overflow) = frameBytes.multipliedReportingOverflow(by: frames.count)
        guard !overflow, decodedBytes <= DecodedImage.maximumDecodedBytes else {
            throw .imageTooLarge(file: file, decodedBytes: overflow ? Int.max : decodedBytes,
                                 limit: DecodedImage.maximumDecodedBytes)
        }
        let samples: PixelSamples
        switch (transferSyntax.pixelEncoding, pixelData) {
        case (.native, .bytes(let range)), (.native, .truncated(let range, _)):
            samples = try nativeSamples(frames, in: range)
        case (.rleLossless, .encapsulated(let encapsulated)):
            samples = try rleSamples(frames, in: encapsulated)
        case (.jpegBaseline, .encapsulated(let encapsulated)):
            samples = try jpegSamples(frames, in: encapsulated)
        case (.native, .encapsulated):
            throw .malformedEncapsulatedPixelData(
                file: file, reason: "pixel data has an undefined length under native transfer syntax \(transferSyntax)")
        case (.rleLossless, _), (.jpegBaseline, _):
            throw .malformedEncapsulatedPixelData(
                file: file, reason: "pixel data has a defined length under encapsulated transfer syntax \(transferSyntax)")
        case (.unsupportedEncapsulated, _), (.deflated, _):
            throw .unsupportedTransferSyntax(file: file, uid: transferSyntax.uid, name: transferSyntax.name)
        }
        return try DecodedImage(rows: rows, columns: columns, frames: frames.count, colorModel: colorModel,
                                bitsStored: bitsStored, samples: samples)
    }

    /// The colour model of the decoded samples; YBR under JPEG Baseline decodes to RGB (libjpeg converts it).
    private func decodedColorModel() throws(DataError) -> ColorModel {
        switch (photometricInterpretation, samplesPerPixel) {
        case ("MONOCHROME1", 1): return .monochrome1
        case ("MONOCHROME2", 1): return .monochrome2
        case ("RGB", 3): return .rgb
        case ("YBR_FULL", 3) where transferSyntax.pixelEncoding == .jpegBaseline,
             ("YBR_FULL_422", 3) where transferSyntax.pixelEncoding == .jpegBaseline:
            return .rgb
        default:
            throw .unsupportedPhotometricInterpretation(
                file: file, found: "\(photometricInterpretation) with \(samplesPerPixel) samples per pixel",
                transferSyntax: transferSyntax.description)
        }
    }

    // MARK: Native

    private func nativeSamples(_ frames: Range<Int>, in range: Range<Int>) throws(DataError) -> PixelSamples {
        let samplesPerFrame = pixelCount * samplesPerPixel
        let (expectedBytes, overflow) = (samplesPerFrame * bytesPerSample).multipliedReportingOverflow(by: numberOfFrames)
        guard !overflow, range.count >= expectedBytes else {
            throw .truncatedPixelData(file: file, expectedBytes: overflow ? Int.max : expectedBytes,
                                      foundBytes: range.count)
        }
        let start = range.lowerBound + frames.lowerBound * samplesPerFrame * bytesPerSample
        let count = frames.count * samplesPerFrame
        let planar = samplesPerPixel > 1 && planarConfiguration == 1
        if bitsAllocated == 8 {
            let values = Array(bytes[start..<(start + count)])
            return maskedSamples(planar ? interleaved(values, frames: frames.count) : values)
        }
        let values = Self.words(bytes, start: start, count: count, isBigEndian: transferSyntax.isBigEndian)
        return maskedSamples(planar ? interleaved(values, frames: frames.count) : values)
    }

    /// `count` 16-bit words starting at byte `start`.
    private static func words(_ bytes: [UInt8], start: Int, count: Int, isBigEndian: Bool) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: count) { words, initialized in
            bytes.withUnsafeBufferPointer { source in
                let (high, low) = isBigEndian ? (0, 1) : (1, 0)
                for index in 0..<count {
                    let byte = start + 2 * index
                    words[index] = UInt16(source[byte + high]) << 8 | UInt16(source[byte + low])
                }
            }
            initialized = count
        }
    }

    /// Planar Configuration 1 (R1 R2 … G1 G2 … B1 B2 …, per frame) reordered to R1 G1 B1 R2 G2 B2 ….
    private func interleaved<Sample>(_ planes: [Sample], frames: Int) -> [Sample] {
        var output = planes
        let frameSamples = pixelCount * samplesPerPixel
        for frame in 0..<frames {
            let base = frame * frameSamples
            for sample in 0..<samplesPerPixel {
                for pixel in 0..<pixelCount {
                    output[base + pixel * samplesPerPixel + sample] = planes[base + sample * pixelCount + pixel]
                }
            }
        }
        return output
    }

    // MARK: Encapsulated

    /// The bytes of a frame's fragments, joined.
    private func concatenated(_ fragments: [Range<Int>]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(fragments.reduce(0) { $0 + $1.count })
        for range in fragments {
            data.append(contentsOf: bytes[range])
        }
        return data
    }

    // MARK: RLE Lossless

    private func rleSamples(_ frames: Range<Int>, in encapsulated: EncapsulatedPixelData) throws(DataError) -> PixelSamples {
        let segmentCount = samplesPerPixel * bytesPerSample
        let fragments = try encapsulated.frameFragments(frameCount: numberOfFrames, bytes: bytes, file: file,
                                                        framesEndWithEOI: false)
        var bytePlanes: [UInt8] = []
        var words: [UInt16] = []
        for frame in frames {
            let data = concatenated(fragments[frame])
            let segments = try RLEDecoder.decodeSegments(data, segmentCount: segmentCount, pixelCount: pixelCount,
                                                         file: file, frameIndex: frame)
            if bitsAllocated == 8 {
                bytePlanes.append(contentsOf: segments)
            } else {
                words.append(contentsOf: Self.wordPlanes(segments, planeCount: samplesPerPixel, pixelCount: pixelCount))
            }
        }
        // RLE segments are always planar, whatever Planar Configuration says (PS3.5 G.2).
        if bitsAllocated == 8 {
            return maskedSamples(interleaved(bytePlanes, frames: frames.count))
        }
        return maskedSamples(interleaved(words, frames: frames.count))
    }

    /// Combines byte planes (most significant first, two per sample) into planes of 16-bit words.
    private static func wordPlanes(_ segments: [UInt8], planeCount: Int, pixelCount: Int) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: planeCount * pixelCount) { words, initialized in
            segments.withUnsafeBufferPointer { source in
                for plane in 0..<planeCount {
                    let high = 2 * plane * pixelCount
                    let low = high + pixelCount
                    for pixel in 0..<pixelCount {
                        words[plane * pixelCount + pixel] = UInt16(source[high + pixel]) << 8 | UInt16(source[low + pixel])
                    }
                }
            }
            initialized = planeCount * pixelCount
        }
    }

    // MARK: JPEG Baseline

    private func jpegSamples(_ frames: Range<Int>, in encapsulated: EncapsulatedPixelData) throws(DataError) -> PixelSamples {
        guard bitsAllocated == 8 else {
            throw .invalidAttribute(file: file, tag: .bitsAllocated, name: "Bits Allocated", found: "\(bitsAllocated)",
                                    expected: "8 for \(transferSyntax.name)")
        }
        let fragments = try encapsulated.frameFragments(frameCount: numberOfFrames, bytes: bytes, file: file,
                                                        framesEndWithEOI: true)
        var values: [UInt8] = []
        for frame in frames {
            let image = try JPEGDecoder.decode(concatenated(fragments[frame]), file: "\(file) frame \(frame)")
            guard image.rows == rows, image.columns == columns, image.samplesPerPixel == samplesPerPixel,
                  case .uint8(let frameValues) = image.samples else {
                throw .frameGeometryMismatch(
                    file: file, frame: frame,
                    found: "\(image.rows) × \(image.columns) × \(image.samplesPerPixel)",
                    expected: "\(rows) × \(columns) × \(samplesPerPixel) (rows × columns × samples)")
            }
            values.append(contentsOf: frameValues)
        }
        return maskedSamples(values)
    }

    // MARK: Bits Stored

    /// Keeps the low `bitsStored` bits of each sample, sign-extending them when signed: a left shift then an
    /// arithmetic (signed) or logical (unsigned) right shift by Bits Allocated − Bits Stored, as pydicom does.
    private func maskedSamples(_ values: [UInt8]) -> PixelSamples {
        let shift = UInt8(8 - bitsStored)
        if isSigned {
            return .int8(values.map { Int8(bitPattern: $0 << shift) >> shift })
        }
        return .uint8(shift == 0 ? values : values.map { ($0 << shift) >> shift })
    }

    private func maskedSamples(_ values: [UInt16]) -> PixelSamples {
        let shift = UInt16(16 - bitsStored)
        if isSigned {
            return .int16(values.map { Int16(bitPattern: $0 << shift) >> shift })
        }
        return .uint16(shift == 0 ? values : values.map { ($0 << shift) >> shift })
    }
}
