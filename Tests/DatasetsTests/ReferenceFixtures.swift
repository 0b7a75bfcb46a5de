import Foundation
import Testing

/// The DICOM files copied from shared/fixtures/dicom and pydicom's decoding of them.
enum ReferenceFixtures {
    /// The directory holding the fixture files.
    static var dicomDirectory: URL {
        get throws {
            let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            return fixtures.appendingPathComponent("dicom")
        }
    }

    /// The path of fixture `name`.
    static func dicomPath(_ name: String) throws -> String {
        try dicomDirectory.appendingPathComponent(name).path
    }

    /// reference.json: metadata per file, as pydicom read it.
    static func metadata() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: try dicomDirectory.appendingPathComponent("reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    }

    /// reference.safetensors: pydicom's pixels (`NAME.pixels`) and rescaled values (`NAME.hu`).
    static func tensors() throws -> SafetensorsReference {
        try SafetensorsReference(contentsOf: try dicomDirectory.appendingPathComponent("reference.safetensors"))
    }
}
