import Foundation
import Testing
@testable import Datasets

/// Format detection by content, display windowing and the export tensors on the shared DICOM fixtures.
struct ImageFileTests {
    private func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures/dicom"))
    }

    @Test func exportsStoredPixelsAndRescaledValues() throws {
        let file = try ImageFile(contentsOf: try fixture("CT_small.dcm"))
        #expect(file.format == .dicom && file.hasRescale)
        let entries = file.safetensorsEntries
        #expect(entries.map(\.name) == ["pixels", "hu"])
        #expect(entries[0].dtype == .I16 && entries[0].shape == [128, 128])
        #expect(entries[1].dtype == .F32 && entries[1].shape == [128, 128])
        let display = try file.displayImage()
        #expect(display.bitsAllocated == 8 && display.rows == 128)
    }

    @Test func exportsMultiFrameShapes() throws {
        let file = try ImageFile(contentsOf: try fixture("emri_small.dcm"))
        #expect(file.safetensorsEntries.map(\.shape) == [[10, 64, 64]])
        #expect(throws: DatasetError.imageDecoding(.frameOutOfRange(file: file.path, frame: 10, frameCount: 10))) {
            try file.displayImage(frame: 10)
        }
    }

    /// A Rescale Slope that takes the values past float32 once trapped (a window of inf − inf);
    /// now the file is named. So is one whose signed RGB samples have no display mapping.
    @Test func namesTheFileOfAnImageItCannotDisplay() throws {
        let directory = try DatasetFixtureDirectory()
        defer { directory.remove() }
        var steep = DICOMTestFile()
        steep.imagePixelAttributes(rows: 1, columns: 2, bitsAllocated: 8)
        steep.string(0x0028, 0x1053, vr: "DS", "1e38")
        steep.element(0x7FE0, 0x0010, vr: "OB", [1, 4])
        let path = directory.path + "/steep.dcm"
        try Data(steep.bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: DatasetError.imageDecoding(.unusableImage(
            file: path, reason: "Rescale Slope 1e+38 and Intercept 0.0 take the pixel values beyond float32's range"))) {
            try ImageFile(contentsOf: path).displayImage()
        }
        // An image path naming a device would be read forever.
        #expect(throws: DatasetError.unreadableFile(file: "/dev/zero", reason: "not a regular file")) { try ImageFile(contentsOf: "/dev/zero") }
    }

    @Test func recognisesFormatsByContentNotName() throws {
        let directory = try DatasetFixtureDirectory()
        defer { directory.remove() }
        let image = try DecodedImage(rows: 2, columns: 2, colorModel: .monochrome2, samples: .uint8([0, 1, 2, 3]))
        let misnamed = directory.path + "/scan.dcm"
        try Data(try PNGEncoder.encode(image)).write(to: URL(fileURLWithPath: misnamed))
        #expect(try ImageFile(contentsOf: misnamed).format == .png)
        let text = try directory.write("hello", to: "notes.png")
        #expect(throws: DatasetError.unsupportedImageFormat(file: text, found: "68 65 6c 6c 6f")) {
            try ImageFile(contentsOf: text)
        }
    }
}
