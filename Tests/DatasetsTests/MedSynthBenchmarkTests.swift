import Foundation
import Testing
@testable import Datasets

/// Prints MedSynth's generation speed on one thread (no timing assertion: the figure that counts is
/// from a release build, see the commit message and docs/DATA_CARD.md).
struct MedSynthBenchmarkTests {
    @Test func printsImagesPerSecondOnOneThread() throws {
        let generator = try MedSynthGenerator(seed: 5, imageSize: 64)
        let count = 500
        _ = generator.samples(split: .publicSplit, range: 0..<50, profile: .reference)
        let start = DispatchTime.now().uptimeNanoseconds
        let samples = generator.samples(split: .publicSplit, range: 0..<count, profile: .reference)
        let generated = DispatchTime.now().uptimeNanoseconds
        var bytes = 0
        for sample in samples { bytes += try PNGEncoder.encode(try sample.image).count }
        let encoded = DispatchTime.now().uptimeNanoseconds
        let generateSeconds = Double(generated - start) / 1e9, encodeSeconds = Double(encoded - generated) / 1e9
        print("MedSynth 64×64 on one thread: \(Int(Double(count) / generateSeconds)) images/s generated (pixels + all text), "
              + "\(Int(Double(count) / (generateSeconds + encodeSeconds))) images/s with PNG encoding (\(bytes / count) bytes/image)")
        #expect(samples.count == count)
    }
}
