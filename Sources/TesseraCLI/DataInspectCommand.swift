import ArgumentParser
import Datasets
import Reporting

/// `tessera data inspect FILE`: what a DICOM, PNG or JPEG file holds.
struct DataInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a DICOM, PNG or JPEG file's format, transfer syntax, modality, geometry, bits, rescale, window and VOI LUT."
    )

    @Argument(help: "The image file (format recognised from its bytes).")
    var file: String

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    func run() throws {
        let imageFile = try ImageFile(contentsOf: file)
        print(Self.table(for: imageFile).rendered(as: format), terminator: "")
    }

    /// The file's attributes, one row each; DICOM-only rows are `-` for PNG and JPEG.
    static func table(for imageFile: ImageFile) -> ResultsTable {
        let image = imageFile.image
        let dicom = imageFile.dicom
        var table = ResultsTable(title: imageFile.path, columns: ["attribute", "value"])
        func row(_ name: String, _ value: ResultsTable.Cell) { table.append([.text(name), value]) }
        func text(_ value: String?) -> ResultsTable.Cell { value.map { .text($0) } ?? .missing }
        func number(_ value: Double?) -> ResultsTable.Cell { value.map { .text(String($0)) } ?? .missing }
        row("format", .text(imageFile.format.rawValue))
        row("transfer syntax", text(dicom.map { $0.transferSyntax.description }))
        row("modality", text(dicom?.modality))
        row("photometric interpretation", .text(dicom?.photometricInterpretation ?? "\(image.colorModel)"))
        row("rows", .text(String(image.rows)))
        row("columns", .text(String(image.columns)))
        row("frames", .text(String(image.frames)))
        row("samples per pixel", .text(String(image.samplesPerPixel)))
        row("bits allocated", .text(String(image.bitsAllocated)))
        row("bits stored", .text(String(image.bitsStored)))
        row("signed", .text(image.isSigned ? "yes" : "no"))
        row("rescale slope", number(dicom?.rescaleSlope))
        row("rescale intercept", number(dicom?.rescaleIntercept))
        row("window center", number(dicom?.windowCenter))
        row("window width", number(dicom?.windowWidth))
        row("VOI LUT function", text(dicom?.voiLUTFunction.rawValue))
        row("VOI LUT", text(dicom?.voiLUT.map { "\($0.entries.count) entries from \($0.firstMappedValue), \($0.bitsPerEntry) bits (display uses it, not the window)" }))
        return table
    }
}
