import Tensor

/// The draws MedSynth makes, all from Tensor's Philox generator so that each image's stream alone
/// fixes its pixels and text.
extension SeededGenerator {
    /// A uniform float in [`lower`, `upper`).
    mutating func uniform(_ lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * uniform()
    }

    /// True with probability `probability`.
    mutating func chance(_ probability: Double) -> Bool {
        Double(uniform()) < probability
    }

    /// A uniform integer in `range` (modulo bias below 2⁻²⁰ for the small ranges used here).
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(nextWord() % UInt32(range.count))
    }

    /// A uniformly chosen element.
    /// - Precondition: `elements` is not empty (every list passed is a non-empty literal).
    mutating func pick<Element>(_ elements: [Element]) -> Element {
        precondition(!elements.isEmpty, "pick from an empty list")
        return elements[Int(nextWord() % UInt32(elements.count))]
    }

    /// An index drawn with probability proportional to `weights`.
    mutating func index(weightedBy weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var target = Double(uniform()) * total
        for (index, weight) in weights.enumerated() {
            target -= weight
            if target < 0 { return index }
        }
        return weights.count - 1
    }

    /// The elements in a uniformly random order (Fisher–Yates).
    mutating func shuffled<Element>(_ elements: [Element]) -> [Element] {
        var result = elements
        guard result.count > 1 else { return result }
        for index in stride(from: result.count - 1, to: 0, by: -1) {
            result.swapAt(index, Int(nextWord() % UInt32(index + 1)))
        }
        return result
    }
}
