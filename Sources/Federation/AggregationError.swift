import Tensor

/// Why a set of site updates could not be aggregated. Each case names the site (or "global
/// adapter"), the tensor or module, the value found and what is required, so the round's operator
/// can act on the message.
public enum AggregationError: Error, Equatable, CustomStringConvertible {
    case noUpdates(strategy: String)
    case duplicateTensor(site: String, tensor: String)
    case missingTensor(site: String, tensor: String)
    case unexpectedTensor(site: String, tensor: String)
    case shapeMismatch(site: String, tensor: String, found: [Int], expected: [Int])
    /// A LoRA factor whose partner is absent, or `A: [r, in]` and `B: [out, r]` of different ranks.
    case unpairedFactors(site: String, module: String, reason: String)
    case negativeSampleCount(site: String, sampleCount: Int)
    case zeroTotalWeight(sites: Int)
    /// FFA: a site's `lora_A` differs from the global adapter's (the first differing element).
    case frozenFactorChanged(site: String, tensor: String, index: Int, found: Float, expected: Float)
    /// NaN or ±Inf in an input; `value` is its text ("nan", "inf", "-inf") so the case stays Equatable.
    case nonFiniteValue(site: String, tensor: String, index: Int, value: String)
    /// Finite inputs whose aggregate overflowed float32.
    case nonFiniteResult(tensor: String, index: Int)
    /// Trimmed mean: `updates ≤ 2 · trimmed`, so nothing would be left to average.
    case tooFewUpdatesToTrim(updates: Int, trimmed: Int)
    case invalidOption(strategy: String, option: String, value: String, requirement: String)
    case linearAlgebra(module: String, failure: TensorError)

    public var description: String {
        switch self {
        case let .noUpdates(strategy):
            return "\(strategy): no updates to aggregate; a round needs at least one valid update"
        case let .duplicateTensor(site, tensor):
            return "\(site): tensor \(tensor) appears twice; tensor names must be distinct"
        case let .missingTensor(site, tensor):
            return "\(site): tensor \(tensor) is missing; every update must hold the global adapter's tensors"
        case let .unexpectedTensor(site, tensor):
            return "\(site): tensor \(tensor) is not in the global adapter; updates hold exactly its tensors"
        case let .shapeMismatch(site, tensor, found, expected):
            return "\(site): tensor \(tensor) has shape \(found), expected \(expected) (the global adapter's)"
        case let .unpairedFactors(site, module, reason):
            return "\(site): LoRA factors of \(module): \(reason)"
        case let .negativeSampleCount(site, sampleCount):
            return "\(site): sample count \(sampleCount) is negative; it must be the number of examples used (≥ 0)"
        case let .zeroTotalWeight(sites):
            return "the \(sites) updates report 0 samples in total; weights nᵢ/Σn need Σn > 0"
        case let .frozenFactorChanged(site, tensor, index, found, expected):
            return "\(site): frozen FFA factor \(tensor) element \(index) is \(found), expected \(expected); "
                + "under FFA every site keeps the round-0 global lora_A unchanged"
        case let .nonFiniteValue(site, tensor, index, value):
            return "\(site): tensor \(tensor) element \(index) is \(value); every value must be finite"
        case let .nonFiniteResult(tensor, index):
            return "the aggregate of tensor \(tensor) overflows float32 at element \(index); inputs must be smaller"
        case let .tooFewUpdatesToTrim(updates, trimmed):
            return "trimmed mean drops the \(trimmed) largest and \(trimmed) smallest values of each coordinate, so it needs "
                + "more than 2 × \(trimmed) updates; got \(updates)"
        case let .invalidOption(strategy, option, value, requirement):
            return "\(strategy): \(option) = \(value); \(requirement)"
        case let .linearAlgebra(module, failure):
            return "svd-merge of \(module) failed: \(failure)"
        }
    }

    /// The text of a non-finite float for ``nonFiniteValue(site:tensor:index:value:)``.
    static func text(of value: Float) -> String {
        value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf")
    }
}
