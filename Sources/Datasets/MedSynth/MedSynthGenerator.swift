import Dispatch
import Tensor

/// Generates MedSynth samples: images with known findings and their reports, conversations, extended
/// answers and VQA items.
///
/// Deterministic: a sample depends only on (seed, split, index, profile, image size), through its own
/// Philox stream (``MedSynthSplit/stream(image:)``), so the same options give the same bytes on any
/// machine and any number of threads.
///
/// ```swift
/// let generator = try MedSynthGenerator(seed: 7, imageSize: 64)
/// let samples = generator.samples(split: .publicSplit, range: 0..<1000, profile: .reference, threads: 2)
/// ```
public struct MedSynthGenerator: Sendable {
    /// The largest supported image side.
    public static let maximumImageSize = 512
    /// The smallest supported image side (below it, small lesions vanish).
    public static let minimumImageSize = 16

    /// The data set's seed.
    public let seed: UInt64
    /// The side length of every image, in pixels.
    public let imageSize: Int

    /// Creates a generator.
    /// - Throws: `DatasetError.invalidOption` when `imageSize` is outside 16...512.
    public init(seed: UInt64, imageSize: Int = 64) throws(DatasetError) {
        guard (Self.minimumImageSize...Self.maximumImageSize).contains(imageSize) else {
            throw .invalidOption(name: "image-size", value: String(imageSize),
                                 expected: "\(Self.minimumImageSize)...\(Self.maximumImageSize) pixels")
        }
        self.seed = seed
        self.imageSize = imageSize
    }

    /// Sample `index` of `split`, drawn from `profile`.
    /// - Parameter modality: Forces the modality (test sets balance modalities); drawn from the
    ///   profile's mix when `nil`.
    public func sample(split: MedSynthSplit, index: Int, profile: SiteProfile, modality: Modality? = nil) -> MedSynthSample {
        var generator = SeededGenerator(seed: seed, stream: split.stream(image: index))
        let modality = modality ?? Modality.allCases[generator.index(weightedBy: profile.modalityWeights)]
        let id = split.identifierPrefix + "-" + Self.padded(index)
        let study = Study(id: id, modality: modality,
                          findings: FindingSampler.findings(for: modality, profile: profile, generator: &generator))
        let canvas = StudyRenderer.canvas(for: study, size: imageSize, generator: &generator)
        var scanner = profile.scanner
        scanner.contrast *= generator.uniform(0.95, 1.05)
        let pixels = scanner.rendered(canvas, generator: &generator)

        let style = ReportStyle.allCases[generator.index(weightedBy: profile.styleWeights)]
        let report = ReportWriter.report(for: study, style: style, centimetres: generator.chance(profile.centimetreShare),
                                         generator: &generator)
        let imagePath = "images/\(id).png"
        let conversation = ConversationWriter.conversation(for: study, generator: &generator)
        let instruct = InstructRecord(id: id, image: imagePath, conversations: conversation.turns,
                                      extendedAnswers: conversation.extendedAnswers)
        let items = VQAItemWriter.items(for: study, image: imagePath, generator: &generator)
        return MedSynthSample(study: study, imageSize: imageSize, pixels: pixels, imagePath: imagePath,
                              report: report, instruct: instruct, vqaItems: items)
    }

    /// Samples `range` of `split`, generated on `threads` threads; the result does not depend on `threads`.
    /// - Parameter modality: When given, returns the modality of each index (test sets balance them).
    public func samples(split: MedSynthSplit, range: Range<Int>, profile: SiteProfile, threads: Int = 1,
                        modality: (@Sendable (Int) -> Modality)? = nil) -> [MedSynthSample] {
        let indices = Array(range)
        return Self.parallelMap(indices, threads: threads) { index in
            sample(split: split, index: index, profile: profile, modality: modality?(index))
        }
    }

    /// `transform` applied to every element on up to `threads` threads, results in input order.
    static func parallelMap<Element: Sendable, Result: Sendable>(
        _ elements: [Element], threads: Int, _ transform: @Sendable (Element) -> Result
    ) -> [Result] {
        let chunks = max(1, min(threads, elements.count))
        guard chunks > 1 else { return elements.map(transform) }
        let results = ResultSlots<Result>(count: elements.count)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for index in stride(from: chunk, to: elements.count, by: chunks) {
                results.store(transform(elements[index]), at: index)
            }
        }
        return results.values
    }

    /// A six-digit index, as in file names (`000042`).
    static func padded(_ index: Int) -> String {
        let digits = String(index)
        return digits.count >= 6 ? digits : String(repeating: "0", count: 6 - digits.count) + digits
    }
}

/// Result slots written by concurrent workers, each slot by exactly one worker.
///
/// `@unchecked Sendable`: every write and the final read happen under `lock` (an NSLock-free
/// DispatchSemaphore used as a mutex).
private final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private var slots: [Value?]
    private let lock = DispatchSemaphore(value: 1)

    init(count: Int) {
        slots = [Value?](repeating: nil, count: count)
    }

    func store(_ value: Value, at index: Int) {
        lock.wait()
        slots[index] = value
        lock.signal()
    }

    /// The stored values; every slot has been written when concurrentPerform returns.
    var values: [Value] {
        lock.wait()
        defer { lock.signal() }
        return slots.compactMap { $0 }
    }
}
