import ArgumentParser

/// `tessera data …`: generate MedSynth data, and look inside medical image files.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Generate MedSynth data sets and inspect or export DICOM, PNG and JPEG files.",
        subcommands: [DataSynthCommand.self, DataInspectCommand.self, DataExportCommand.self]
    )
}
