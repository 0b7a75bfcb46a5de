import Foundation
import Tensor
import Testing
@testable import Datasets

/// The generator: determinism per stream, visible findings, balanced questions and site skew.
struct MedSynthGeneratorTests {
    private let generator: MedSynthGenerator

    init() throws {
        generator = try MedSynthGenerator(seed: 3, imageSize: 64)
    }

    @Test func samplesDependOnlyOnSeedSplitAndIndex() throws {
        let other = try MedSynthGenerator(seed: 3, imageSize: 64)
        let a = generator.sample(split: .site(2, .labelled), index: 17, profile: .reference)
        let b = other.sample(split: .site(2, .labelled), index: 17, profile: .reference)
        #expect(a.pixels == b.pixels && a.report == b.report && a.instruct == b.instruct && a.vqaItems == b.vqaItems)
        let c = generator.sample(split: .site(2, .labelled), index: 18, profile: .reference)
        #expect(a.pixels != c.pixels)
        let threaded = generator.samples(split: .publicSplit, range: 0..<24, profile: .reference, threads: 4)
        let serial = generator.samples(split: .publicSplit, range: 0..<24, profile: .reference, threads: 1)
        #expect(threaded.map(\.pixels) == serial.map(\.pixels))
    }

    @Test("Any size from 16 to 512 renders", arguments: [16, 48, 64, 97, 512])
    func rendersAnySize(size: Int) throws {
        let sample = try MedSynthGenerator(seed: 1, imageSize: size).sample(split: .publicSplit, index: 0, profile: .reference)
        #expect(sample.pixels.count == size * size)
        #expect(try sample.image.rows == size)
    }

    /// Every closed question type is close to half yes, half no over 2,000 studies.
    @Test func balancesClosedAnswersWithinEachQuestionType() {
        let samples = generator.samples(split: .publicSplit, range: 0..<2000, profile: .reference, threads: 2)
        let closed = samples.flatMap(\.vqaItems).filter { $0.answerType == .closed }
        for type in ["MODALITY", "ABN", "PRES", "POS", "SIZE", "COUNT"] {
            let items = closed.filter { $0.questionType == type }
            let yesShare = Double(items.filter { $0.answer == "yes" }.count) / Double(max(items.count, 1))
            print("closed \(type): \(items.count) items, yes share \(String(format: "%.3f", yesShare))")
            #expect(items.count > 200)
            #expect(abs(yesShare - 0.5) < 0.05, "\(type): yes share \(yesShare)")
        }
    }

    /// At heterogeneity 0 every site has the public split's mix; at `high` a site's dominant modality
    /// takes 0.05 + 0.8 · 0.85 = 73% of its images.
    @Test func skewsSitesWithHeterogeneity() {
        var stream = SeededGenerator(seed: 0, stream: 1)
        let iid = SiteProfile(site: 1, of: 3, heterogeneity: 0, generator: &stream)
        #expect(iid.modalityWeights == SiteProfile.reference.modalityWeights)
        #expect(iid.scanner == ScannerProfile(contrast: 1, offset: 0, noise: 0.02, blurPasses: 0))
        let high = SiteProfile(site: 1, of: 3, heterogeneity: MedSynthOptions.highHeterogeneity, generator: &stream)
        #expect(abs(high.modalityWeights[1] - 0.73) < 1e-9)
        let samples = generator.samples(split: .site(2, .labelled), range: 0..<1000, profile: high, threads: 2)
        let mri = samples.filter { $0.study.modality == .brainMRI }.count
        print("site 2 at high heterogeneity: \(mri) of 1000 images are brain MRI")
        #expect((650...810).contains(mri))
    }

    /// The findings are visible: a logistic regression on 16×16 average-pooled pixels, trained on 600
    /// images of one modality for 60 epochs, tells abnormal from normal and left from right on 400 held-out
    /// images far above the majority class.
    @Test("Findings are learnable from pixels", arguments: Modality.allCases)
    func findingsAreLearnableFromPixels(modality: Modality) {
        let samples = generator.samples(split: .publicSplit, range: 0..<1000, profile: .reference, threads: 2) { _ in modality }
        let features = samples.map { Self.pooled($0.pixels, size: 64, cells: 16) }
        let abnormal = samples.map { $0.study.isNormal ? Float(0) : 1 }
        let presence = Self.heldOutAccuracy(features, abnormal)
        let sided = samples.indices.filter { samples[$0].study.findings.first?.type.hasVaryingSide == true }
        let side = Self.heldOutAccuracy(sided.map { features[$0] }, sided.map { samples[$0].study.findings.first?.side == .left ? 1 : 0 })
        print("\(modality.rawValue): abnormal vs normal \(presence.accuracy) (majority \(presence.majority)); left vs right \(side.accuracy) (majority \(side.majority))")
        #expect(presence.accuracy > presence.majority + 0.15)
        if !sided.isEmpty, modality != .abdominalCT || sided.count > 100 {
            #expect(side.accuracy > side.majority + 0.15)
        }
    }

    /// Mean of each `cells`×`cells` block, scaled to [0, 1].
    static func pooled(_ pixels: [UInt8], size: Int, cells: Int) -> [Float] {
        let block = size / cells
        var features = [Float](repeating: 0, count: cells * cells)
        for row in 0..<size {
            for column in 0..<size {
                features[(row / block) * cells + column / block] += Float(pixels[row * size + column]) / 255
            }
        }
        return features.map { $0 / Float(block * block) }
    }

    /// Trains on the first 60% and returns accuracy on the rest, with that part's majority share.
    static func heldOutAccuracy(_ features: [[Float]], _ labels: [Float]) -> (accuracy: Double, majority: Double) {
        let split = features.count * 6 / 10
        guard split > 0, split < features.count else { return (0, 1) }
        let width = features[0].count
        let mean = (0..<width).map { j in features.prefix(split).map { $0[j] }.reduce(0, +) / Float(split) }
        let centred = features.map { zip($0, mean).map { $0 - $1 } }
        var weights = [Float](repeating: 0, count: width), bias: Float = 0
        for _ in 0..<60 {
            for index in 0..<split {
                var z = bias
                for j in 0..<width { z += weights[j] * centred[index][j] }
                let error = 1 / (1 + exp(-z)) - labels[index]
                for j in 0..<width { weights[j] -= 0.5 * error * centred[index][j] }
                bias -= 0.5 * error
            }
        }
        var correct = 0
        for index in split..<features.count {
            var z = bias
            for j in 0..<width { z += weights[j] * centred[index][j] }
            if (z > 0 ? Float(1) : 0) == labels[index] { correct += 1 }
        }
        let test = labels[split...]
        let ones = Double(test.filter { $0 == 1 }.count) / Double(test.count)
        return (Double(correct) / Double(test.count), max(ones, 1 - ones))
    }
}
