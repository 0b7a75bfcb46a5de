import Datasets
import Foundation
import Tensor
@testable import TesseraCLI
import Testing

/// `tessera data inspect` and `tessera data export` on every file of shared/fixtures/dicom (the
/// copies in Tests/DatasetsTests/Fixtures/dicom), against pydicom's reading of them.
struct DataCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DatasetsTests/Fixtures/dicom")

    /// reference.json: what pydicom read from each file.
    static func reference() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    }

    /// The files pydicom decodes (MR_truncated.dcm it refuses, as the reader does).
    static let decodable = [
        "CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "MR_small_RLE.dcm",
        "SC_rgb.dcm", "SC_rgb_jpeg_dcmtk.dcm", "emri_small.dcm",
    ]

    /// Every row of `inspect` against reference.json (a missing tag is `-`).
    @Test("inspect prints what pydicom reads", arguments: decodable)
    func inspectMatchesPydicom(name: String) throws {
        let expected = try #require(try Self.reference()[name])
        let table = DataInspectCommand.table(for: try ImageFile(contentsOf: Self.fixtures.appendingPathComponent(name).path))
        var rows: [String: String] = [:]
        for row in table.rows {
            guard case .text(let attribute) = row[0] else { continue }
            rows[attribute] = switch row[1] {
            case .text(let value): value
            case .missing: "-"
            default: "?"
            }
        }
        let transferSyntax = try #require(expected["transfer_syntax"] as? String)
        #expect(rows["format"] == "DICOM")
        #expect(rows["transfer syntax"] == "\(transferSyntax) (\(try #require(expected["transfer_syntax_name"] as? String)))")
        #expect(rows["modality"] == expected["modality"] as? String)
        #expect(rows["photometric interpretation"] == expected["photometric"] as? String)
        #expect(rows["rows"] == "\(try #require(expected["rows"] as? Int))")
        #expect(rows["columns"] == "\(try #require(expected["columns"] as? Int))")
        #expect(rows["frames"] == "\(try #require(expected["frames"] as? Int))")
        #expect(rows["bits allocated"] == "\(try #require(expected["bits_allocated"] as? Int))")
        #expect(rows["signed"] == ((expected["pixel_representation"] as? Int) == 1 ? "yes" : "no"))
        for (row, key) in [("rescale slope", "RescaleSlope"), ("rescale intercept", "RescaleIntercept"),
                           ("window center", "WindowCenter"), ("window width", "WindowWidth")] {
            let value = (expected[key] as? [Double])?.first ?? expected[key] as? Double
            #expect(rows[row] == value.map { String($0) } ?? "-", "\(name) \(row)")
        }
    }

    /// `export OUT.safetensors`: `pixels` in the file's own dtype and pydicom's shape and values
    /// (JPEG Baseline within one level), `hu` where the file has rescale tags.
    @Test("export writes pydicom's pixels", arguments: decodable)
    func exportMatchesPydicom(name: String) throws {
        let expected = try #require(try Self.reference()[name])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let command = try DataExportCommand.parse([Self.fixtures.appendingPathComponent(name).path, "--out", out.path])
        try command.run()

        let exported = try SafetensorsFile(contentsOf: out)
        let reference = try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent("reference.safetensors"))
        let dtypes: [String: Safetensors.DType] = ["int16": .I16, ">i2": .I16, "uint8": .U8, "uint16": .U16]
        #expect(try exported.info("pixels").dtype == dtypes[try #require(expected["dtype"] as? String)])
        #expect(try exported.info("pixels").shape == expected["shape"] as? [Int])
        let pixels = try exported.integers("pixels")
        let referencePixels = try reference.integers("\(name).pixels")
        try #require(pixels.count == referencePixels.count)
        let largest = zip(pixels, referencePixels).map { abs($0 - $1) }.max() ?? 0
        #expect(largest <= (name.contains("jpeg") ? 1 : 0), "\(name): largest difference \(largest)")
        if reference.names.contains("\(name).hu") {
            #expect(try exported.floats("hu") == reference.floats("\(name).hu"))
        } else {
            #expect(!exported.names.contains("hu"))
        }
    }

    /// `export OUT.png`: the frame through the file's VOI window (MR_small: centre 600, width 1600)
    /// by DICOM's linear function (PS3.3 C.11.2.1.2.1), computed here from pydicom's pixels.
    @Test func exportWindowsToAnEightBitPNG() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: out) }
        let command = try DataExportCommand.parse([Self.fixtures.appendingPathComponent("MR_small.dcm").path, "--out", out.path])
        try command.run()

        let png = try ImageFile(contentsOf: out.path)
        #expect(png.format == .png && png.image.rows == 64 && png.image.columns == 64 && png.image.bitsAllocated == 8)
        guard case .uint8(let written) = png.image.samples else {
            Issue.record("expected 8-bit samples, found \(png.image.samples)")
            return
        }
        let stored = try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent("reference.safetensors")).integers("MR_small.dcm.pixels")
        let (center, width) = (600.0, 1600.0)
        let expected = stored.map { value -> UInt8 in
            let x = Double(value)
            if x <= center - 0.5 - (width - 1) / 2 { return 0 }
            if x > center - 0.5 + (width - 1) / 2 { return 255 }
            return UInt8((((x - (center - 0.5)) / (width - 1) + 0.5) * 255).rounded())
        }
        #expect(written == expected)
        #expect(Set(written).count > 100, "the window spreads the image over the 8-bit range")
    }

    /// A truncated file is refused with the reader's error, by both commands.
    @Test func truncatedPixelDataIsRefused() throws {
        let path = Self.fixtures.appendingPathComponent("MR_truncated.dcm").path
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID().uuidString).png").path
        let error = DatasetError.imageDecoding(.truncatedPixelData(file: path, expectedBytes: 8192, foundBytes: 8130))
        let inspect = try DataInspectCommand.parse([path])
        #expect(throws: error) { try inspect.run() }
        let export = try DataExportCommand.parse([path, "--out", out])
        #expect(throws: error) { try export.run() }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
