/// The stored sample values of an image, in one array of the type the file declares.
///
/// Samples are row-major and interleaved: index `((frame * rows + row) * columns + column) * samplesPerPixel + sample`,
/// the layout of pydicom's `pixel_array` with shape (frames, rows, columns, samples).
public enum PixelSamples: Sendable, Equatable {
    /// Unsigned 8-bit samples (DICOM BitsAllocated 8, PixelRepresentation 0; 8-bit PNG and JPEG).
    case uint8([UInt8])
    /// Signed 8-bit samples (DICOM BitsAllocated 8, PixelRepresentation 1).
    case int8([Int8])
    /// Unsigned 16-bit samples (DICOM BitsAllocated 16, PixelRepresentation 0; 16-bit PNG).
    case uint16([UInt16])
    /// Signed 16-bit samples (DICOM BitsAllocated 16, PixelRepresentation 1).
    case int16([Int16])

    /// The number of samples.
    public var count: Int {
        switch self {
        case .uint8(let values): values.count
        case .int8(let values): values.count
        case .uint16(let values): values.count
        case .int16(let values): values.count
        }
    }

    /// The bits each sample occupies in memory: 8 or 16.
    public var bitsAllocated: Int {
        switch self {
        case .uint8, .int8: 8
        case .uint16, .int16: 16
        }
    }

    /// Whether samples are two's complement signed integers.
    public var isSigned: Bool {
        switch self {
        case .int8, .int16: true
        case .uint8, .uint16: false
        }
    }

    /// The samples converted to Float32, in the same order.
    public var floatValues: [Float] {
        switch self {
        case .uint8(let values): values.map { Float($0) }
        case .int8(let values): values.map { Float($0) }
        case .uint16(let values): values.map { Float($0) }
        case .int16(let values): values.map { Float($0) }
        }
    }
}
