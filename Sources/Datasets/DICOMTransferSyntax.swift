/// A DICOM transfer syntax: how the data set and its pixel data are encoded (PS3.5 §10, Annex A).
public struct DICOMTransferSyntax: Hashable, Sendable, CustomStringConvertible {
    /// How pixel data is stored under a transfer syntax.
    enum PixelEncoding: Hashable, Sendable {
        /// Native (uncompressed) pixel data.
        case native
        /// RLE Lossless (PS3.5 Annex G).
        case rleLossless
        /// JPEG Baseline, 8-bit lossy (ISO 10918-1 process 1).
        case jpegBaseline
        /// A compression this package does not decode (JPEG lossless/extended, JPEG-LS, JPEG 2000...).
        case unsupportedEncapsulated
        /// The whole data set is deflated (PS3.5 A.5); not readable here.
        case deflated
    }

    /// The UID, e.g. `1.2.840.10008.1.2.1`.
    public let uid: String
    /// The UID's name in the DICOM registry (PS3.6 Table A-1), spelled as pydicom spells it.
    public let name: String
    /// Whether data elements carry their VR (every syntax but Implicit VR Little Endian).
    public let isExplicitVR: Bool
    /// Whether multi-byte values are big endian (only the retired Explicit VR Big Endian).
    public let isBigEndian: Bool
    /// How the pixel data is encoded.
    let pixelEncoding: PixelEncoding

    /// The UID and its name, e.g. `1.2.840.10008.1.2.5 (RLE Lossless)`.
    public var description: String { "\(uid) (\(name))" }

    /// Whether pixel data is stored as encapsulated fragments (PS3.5 A.4).
    public var isEncapsulated: Bool {
        switch pixelEncoding {
        case .native, .deflated: false
        case .rleLossless, .jpegBaseline, .unsupportedEncapsulated: true
        }
    }

    /// The transfer syntax with this UID, or `nil` when it is not in the registry subset known here.
    /// - Parameter uid: The Transfer Syntax UID (0002,0010), trailing padding removed.
    public init?(uid: String) {
        guard let known = Self.registry.first(where: { $0.uid == uid }) else { return nil }
        self = known
    }

    private init(_ uid: String, _ name: String, explicitVR: Bool = true, bigEndian: Bool = false,
                 pixelEncoding: PixelEncoding) {
        self.uid = uid
        self.name = name
        self.isExplicitVR = explicitVR
        self.isBigEndian = bigEndian
        self.pixelEncoding = pixelEncoding
    }

    /// Implicit VR Little Endian, the DICOM default (1.2.840.10008.1.2).
    public static let implicitVRLittleEndian =
        DICOMTransferSyntax("1.2.840.10008.1.2", "Implicit VR Little Endian", explicitVR: false, pixelEncoding: .native)
    /// Explicit VR Little Endian (1.2.840.10008.1.2.1).
    public static let explicitVRLittleEndian =
        DICOMTransferSyntax("1.2.840.10008.1.2.1", "Explicit VR Little Endian", pixelEncoding: .native)
    /// Explicit VR Big Endian, retired (1.2.840.10008.1.2.2).
    public static let explicitVRBigEndian =
        DICOMTransferSyntax("1.2.840.10008.1.2.2", "Explicit VR Big Endian", bigEndian: true, pixelEncoding: .native)
    /// RLE Lossless (1.2.840.10008.1.2.5).
    public static let rleLossless =
        DICOMTransferSyntax("1.2.840.10008.1.2.5", "RLE Lossless", pixelEncoding: .rleLossless)
    /// JPEG Baseline, process 1 (1.2.840.10008.1.2.4.50).
    public static let jpegBaseline =
        DICOMTransferSyntax("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", pixelEncoding: .jpegBaseline)

    /// Every syntax recognised: the five decoded here, plus the common ones whose data set can be read
    /// (for metadata) but whose pixel data cannot.
    private static let registry: [DICOMTransferSyntax] = [
        implicitVRLittleEndian, explicitVRLittleEndian, explicitVRBigEndian, rleLossless, jpegBaseline,
        DICOMTransferSyntax("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", pixelEncoding: .deflated),
        DICOMTransferSyntax("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 and 4)",
                            pixelEncoding: .unsupportedEncapsulated),
        DICOMTransferSyntax("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)",
                            pixelEncoding: .unsupportedEncapsulated),
        DICOMTransferSyntax("1.2.840.10008.1.2.4.70",
                            "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
                            pixelEncoding: .unsupportedEncapsulated),
        DICOMTransferSyntax("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression",
                            pixelEncoding: .unsupportedEncapsulated),
        DICOMTransferSyntax("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression",
                            pixelEncoding: .unsupportedEncapsulated),
        DICOMTransferSyntax("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)",
                            pixelEncoding: .unsupportedEncapsulated),
        DICOMTransferSyntax("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression",
                            pixelEncoding: .unsupportedEncapsulated),
        DICOMTransferSyntax("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
                            pixelEncoding: .unsupportedEncapsulated),
        DICOMTransferSyntax("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression",
                            pixelEncoding: .unsupportedEncapsulated),
    ]
}
