/// A DICOM Part 10 image file: the attributes needed to decode and present its pixels, and the location
/// of its pixel data. Made by ``DICOMReader``; pixels are decoded on demand by ``decodedImage()`` and
/// ``decodedFrame(_:)``.
///
/// Optional Image Pixel attributes take their PS3.3 C.7.6.3 defaults when absent: Samples per Pixel 1,
/// Pixel Representation 0, Bits Stored = Bits Allocated, High Bit = Bits Stored − 1, Planar Configuration 0,
/// Number of Frames 1 (also when empty or 0, as pydicom reads it).
public struct DICOMFile: Sendable {
    /// The path or label the file was read from, used in every error.
    public let file: String
    /// The Transfer Syntax UID (0002,0010) and its name.
    public let transferSyntax: DICOMTransferSyntax
    /// Modality (0008,0060), e.g. `CT`, `MR`; `nil` when absent.
    public let modality: String?
    /// Photometric Interpretation (0028,0004) as written, e.g. `MONOCHROME2`, `RGB`, `YBR_FULL`.
    public let photometricInterpretation: String
    /// Rows (0028,0010).
    public let rows: Int
    /// Columns (0028,0011).
    public let columns: Int
    /// Samples per Pixel (0028,0002): 1 or 3.
    public let samplesPerPixel: Int
    /// Number of Frames (0028,0008).
    public let numberOfFrames: Int
    /// Bits Allocated (0028,0100): 8 or 16.
    public let bitsAllocated: Int
    /// Bits Stored (0028,0101): the significant bits of each sample.
    public let bitsStored: Int
    /// High Bit (0028,0102). Recorded only: like pydicom, decoding takes the low `bitsStored` bits.
    public let highBit: Int
    /// Pixel Representation (0028,0103): 0 unsigned, 1 two's complement.
    public let pixelRepresentation: Int
    /// Planar Configuration (0028,0006): 0 interleaved (R1 G1 B1 R2…), 1 planar (R1 R2 … G1 G2 …).
    public let planarConfiguration: Int
    /// Rescale Slope (0028,1053); `nil` when absent.
    public let rescaleSlope: Double?
    /// Rescale Intercept (0028,1052); `nil` when absent.
    public let rescaleIntercept: Double?
    /// The first Window Center (0028,1050) value; `nil` when absent.
    public let windowCenter: Double?
    /// The first Window Width (0028,1051) value; `nil` when absent.
    public let windowWidth: Double?
    /// VOI LUT Function (0028,1056): how the window maps values; `.linear` when absent.
    public let voiLUTFunction: VOILUTFunction
    /// The first VOI LUT Sequence (0028,3010) item's table; `nil` when the file has none. Display
    /// prefers it to the window, as pydicom's `apply_voi_lut` does.
    public let voiLUT: VOILUT?

    /// The whole file.
    let bytes: [UInt8]
    /// Where the Pixel Data (7FE0,0010) value lies.
    let pixelData: DICOMElement.Value

    /// Whether samples are signed (Pixel Representation 1).
    public var isSigned: Bool { pixelRepresentation == 1 }
}
