import ArgumentParser
import Datasets
import Foundation
import Reporting
import Tensor

/// `tessera bench data`: MedSynth generation speed on one thread, beside the cost of the same number
/// of Philox words alone (the floor every image pays for its noise).
struct DataBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Benchmark MedSynth generation (images/s on one thread) against a Philox-only baseline.",
        discussion: "Use a release build. Target: at least 2,000 images/s on one core at 64×64, PNG encoding included."
    )

    @Option(help: "Images per timed run.")
    var images = 2000

    @Option(help: "Image side in pixels.")
    var imageSize = 64

    @Option(help: "Timed runs; the median is reported.")
    var runs = 5

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    func run() throws {
        let generator = try MedSynthGenerator(seed: 1, imageSize: imageSize)
        let count = images, words = imageSize * imageSize
        let philox = BenchmarkClock.median(warmup: 1, runs: runs) {
            // One word per pixel into a fresh buffer per image, as the scanner noise draws them.
            for image in 0..<count {
                var stream = SeededGenerator(seed: 1, stream: UInt64(image))
                var buffer = [UInt32](repeating: 0, count: words)
                for index in 0..<words { buffer[index] = stream.nextWord() }
                consume(buffer)
            }
        }
        let generation = BenchmarkClock.median(warmup: 1, runs: runs) {
            consume(generator.samples(split: .publicSplit, range: 0..<count, profile: .reference))
        }
        let samples = generator.samples(split: .publicSplit, range: 0..<count, profile: .reference)
        var encodingFailure: Error?
        let encoding = BenchmarkClock.median(warmup: 1, runs: runs) {
            do {
                for sample in samples { consume(try PNGEncoder.encode(try sample.image)) }
            } catch {
                encodingFailure = error
            }
        }
        if let encodingFailure { throw encodingFailure }
        var table = ResultsTable(title: "MedSynth \(imageSize)×\(imageSize), \(count) images, one thread",
                                 columns: ["stage", "images/s", "µs/image", "vs Philox-only"])
        func row(_ name: String, _ seconds: Double) {
            table.append([.text(name), .integer(Int(Double(count) / seconds)), .number(seconds / Double(count) * 1e6, decimals: 1),
                          .number(seconds / philox, decimals: 2)])
        }
        row("Philox words only (baseline)", philox)
        row("generate (pixels + all text)", generation)
        row("PNG encode (libpng)", encoding)
        row("generate + PNG encode", generation + encoding)
        table.notes.append("target: generate + PNG encode ≥ 2000 images/s at 64×64; " + BenchmarkClock.machineNote)
        print(table.rendered(as: format), terminator: "")
    }
}
