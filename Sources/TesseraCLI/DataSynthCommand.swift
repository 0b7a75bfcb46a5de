import ArgumentParser
import Datasets
import Dispatch
import Foundation
import Reporting

/// `tessera data synth`: writes a MedSynth data set (public split, sites, test sets) in the layout of
/// docs/DATA_CARD.md.
struct DataSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate a MedSynth multi-hospital medical VQA data set (layout: docs/DATA_CARD.md).",
        discussion: """
            Writes OUT/medsynth.json, OUT/public, OUT/test and OUT/sites/site-K/{labelled,reports,unlabelled,test}. \
            The same options give byte-identical files, whatever --threads is.
            """
    )

    @Option(help: "Output directory (created if needed).")
    var out: String

    @Option(help: "Number of hospitals.")
    var sites = 3

    @Option(help: "Non-IID heterogeneity: low (\(MedSynthOptions.lowHeterogeneity)), high (\(MedSynthOptions.highHeterogeneity)) or a number in [0, 1].")
    var heterogeneity = "high"

    @Option(help: "Seed of every random stream.")
    var seed: UInt64 = 0

    @Option(help: "Images per site over its labelled, reports-only and unlabelled parts.")
    var imagesPerSite = 600

    @Option(help: "Image side in pixels, 16...512.")
    var imageSize = 64

    @Option(help: "VQA items in the global test set, balanced over modalities.")
    var testItems = 1000

    @Option(help: "VQA items in each site's test set.")
    var siteTestItems = 200

    @Option(help: "Images in the public (base-model) split.")
    var publicImages = 2000

    @Option(help: "Share of a site's images that are labelled.")
    var labelledShare = 0.5

    @Option(help: "Share of a site's images with reports only; the rest is unlabelled.")
    var reportsShare = 0.25

    @Option(help: "Worker threads; the output does not depend on it.")
    var threads = 1

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    func run() throws {
        var options = MedSynthOptions()
        options.seed = seed
        options.sites = sites
        options.heterogeneity = try MedSynthOptions.heterogeneity(parsing: heterogeneity)
        options.imagesPerSite = imagesPerSite
        options.imageSize = imageSize
        options.testItems = testItems
        options.siteTestItems = siteTestItems
        options.publicImages = publicImages
        options.labelledShare = labelledShare
        options.reportsShare = reportsShare
        options.threads = threads
        let start = DispatchTime.now().uptimeNanoseconds
        let summaries = try MedSynthWriter.write(options, to: out)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        var table = ResultsTable(title: "MedSynth in \(out)",
                                 columns: ["split", "images", "instruct", "reports", "vqa items", "closed yes", "closed no"])
        for summary in summaries {
            table.append([.text(summary.directory), .integer(summary.images), .integer(summary.instructRecords),
                          .integer(summary.reports), .integer(summary.vqaItems), .integer(summary.closedYes), .integer(summary.closedNo)])
        }
        let images = summaries.map(\.images).reduce(0, +)
        table.notes.append("seed \(seed), heterogeneity \(options.heterogeneity), \(sites) sites, \(imageSize)×\(imageSize) px, "
            + "\(threads) thread(s): \(images) images in \(String(format: "%.2f", seconds)) s "
            + "(\(Int(Double(images) / max(seconds, 1e-9))) images/s, PNG and JSON writing included)")
        print(table.rendered(as: format), terminator: "")
    }
}
