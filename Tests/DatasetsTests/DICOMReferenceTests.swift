import Foundation
import Testing
@testable import Datasets

/// Parity with pydicom 3 on every file of shared/fixtures/dicom: stored pixels, rescaled values and metadata.
struct DICOMReferenceTests {
    /// Every decodable fixture; MR_truncated.dcm, which pydicom refuses, is tested separately.
    static let decodableFixtures = [
        "CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm",
        "SC_rgb.dcm", "SC_rgb_jpeg_dcmtk.dcm", "emri_small.dcm",
    ]

    /// Lossless syntaxes must match pydicom exactly; JPEG Baseline is lossy and decoders may differ by one
    /// level (IDCT and colour conversion rounding), so it is allowed ±1.
    private static func tolerance(for file: DICOMFile) -> Double {
        file.transferSyntax == .jpegBaseline ? 1 : 0
    }

    @Test("Stored pixels equal pydicom's NAME.pixels", arguments: decodableFixtures)
    func storedPixelsMatchPydicom(name: String) throws {
        let file = try DICOMReader.read(contentsOf: try ReferenceFixtures.dicomPath(name))
        let image = try file.decodedImage()
        let reference = try ReferenceFixtures.tensors()
        let expected = try reference.values("\(name).pixels")
        let found = image.floatValues().map(Double.init)
        try #require(found.count == expected.count)
        let maxDiff = zip(found, expected).map { abs($0 - $1) }.max() ?? 0
        print("\(name).pixels max abs diff \(maxDiff)")
        #expect(maxDiff <= Self.tolerance(for: file))

        let referenceShape = try #require(reference.entries["\(name).pixels"]?.shape)
        let shape = image.shape.enumerated().filter { index, extent in
            // pydicom drops the frame axis for one frame and the sample axis for one sample.
            !(index == 0 && image.frames == 1) && !(index == 3 && extent == 1)
        }.map(\.element)
        #expect(shape == referenceShape)
    }

    @Test("Rescaled values equal pydicom's NAME.hu where the file has Rescale Slope/Intercept",
          arguments: decodableFixtures)
    func rescaledValuesMatchPydicom(name: String) throws {
        let reference = try ReferenceFixtures.tensors()
        let file = try DICOMReader.read(contentsOf: try ReferenceFixtures.dicomPath(name))
        guard reference.entries["\(name).hu"] != nil else {
            #expect(file.rescaleSlope == nil && file.rescaleIntercept == nil)
            return
        }
        let rescaled = try file.decodedImage().rescaledValues(slope: file.rescaleSlope ?? 1,
                                                              intercept: file.rescaleIntercept ?? 0)
        let expected = try reference.values("\(name).hu")
        let maxDiff = zip(rescaled.map(Double.init), expected).map { abs($0 - $1) }.max() ?? 0
        print("\(name).hu max abs diff \(maxDiff)")
        #expect(rescaled.count == expected.count)
        #expect(maxDiff == 0)
    }

    @Test("Metadata equals reference.json", arguments: decodableFixtures + ["MR_truncated.dcm"])
    func metadataMatchesPydicom(name: String) throws {
        let expected = try #require(try ReferenceFixtures.metadata()[name])
        let file = try DICOMReader.read(contentsOf: try ReferenceFixtures.dicomPath(name))
        #expect(file.transferSyntax.uid == expected["transfer_syntax"] as? String)
        #expect(file.transferSyntax.name == expected["transfer_syntax_name"] as? String)
        #expect(file.modality == expected["modality"] as? String)
        #expect(file.photometricInterpretation == expected["photometric"] as? String)
        #expect(file.rows == expected["rows"] as? Int)
        #expect(file.columns == expected["columns"] as? Int)
        #expect(file.numberOfFrames == expected["frames"] as? Int)
        #expect(file.bitsAllocated == expected["bits_allocated"] as? Int)
        #expect(file.pixelRepresentation == expected["pixel_representation"] as? Int)
        let optionalValues: [(String, Double?)] = [
            ("WindowCenter", file.windowCenter), ("WindowWidth", file.windowWidth),
            ("RescaleSlope", file.rescaleSlope), ("RescaleIntercept", file.rescaleIntercept),
        ]
        for (key, value) in optionalValues {
            // A multi-valued attribute is a list in reference.json; the reader keeps its first value.
            let reference = (expected[key] as? [Double])?.first ?? expected[key] as? Double
            #expect(value == reference, "\(name) \(key)")
        }
    }

    /// pydicom refuses MR_truncated.dcm (8130 of 8192 bytes); the reader reads its metadata and refuses its pixels.
    @Test func truncatedPixelDataIsReported() throws {
        let path = try ReferenceFixtures.dicomPath("MR_truncated.dcm")
        let file = try DICOMReader.read(contentsOf: path)
        #expect(throws: DataError.truncatedPixelData(file: path, expectedBytes: 8192, foundBytes: 8130)) {
            try file.decodedImage()
        }
    }
}
