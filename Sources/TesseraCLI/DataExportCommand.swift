import ArgumentParser
import Datasets
import Foundation
import Tensor

/// `tessera data export FILE --out OUT.safetensors|OUT.png`: the decoded pixels, for comparison with
/// other tools.
struct DataExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a DICOM/PNG/JPEG file's decoded pixels as safetensors (pixels, hu) or as a windowed 8-bit PNG.",
        discussion: """
            OUT.safetensors: `pixels` holds the stored values in their own dtype (U8, I8, U16, I16), shape \
            rows×cols[×samples] or frames×rows×cols[×samples]; `hu` holds float32 values after the DICOM \
            rescale when the file has rescale tags. OUT.png: one frame through the file's window (DICOM) as 8 bits.
            """
    )

    @Argument(help: "The image file (format recognised from its bytes).")
    var file: String

    @Option(help: "Output path ending in .safetensors or .png.")
    var out: String

    @Option(help: "The frame written to a PNG, from 0.")
    var frame = 0

    func validate() throws {
        guard out.hasSuffix(".safetensors") || out.hasSuffix(".png") else {
            throw ValidationError("--out must end in .safetensors or .png, got \(out)")
        }
    }

    func run() throws {
        let imageFile = try ImageFile(contentsOf: file)
        let bytes: [UInt8]
        if out.hasSuffix(".png") {
            bytes = try PNGEncoder.encode(try imageFile.displayImage(frame: frame))
        } else {
            bytes = Safetensors.encode(imageFile.safetensorsEntries, metadata: ["source": file, "format": imageFile.format.rawValue])
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: out))
        } catch {
            throw ValidationError("cannot write \(out): \(error.localizedDescription)")
        }
        print("wrote \(out) (\(bytes.count) bytes)")
    }
}
