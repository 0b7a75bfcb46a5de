/// The parts of a MedSynth data set, each with its own directory, identifier prefix and random streams.
public enum MedSynthSplit: Sendable, Equatable, Hashable {
    /// The part of a site's data.
    public enum SitePart: String, CaseIterable, Sendable {
        /// LLaVA-Med JSON + images (+ VQA items): supervised fine-tuning.
        case labelled
        /// Images with reports only (JSON lines): alignment and captioning.
        case reports
        /// Images without any text: STLLaVA-Med's self-training pool.
        case unlabelled
        /// The site's held-out VQA test set.
        case test
    }

    /// The consortium's base-model data.
    case publicSplit
    /// The global held-out test set.
    case globalTest
    /// Part of site `index` (1-based, as in `site-1`).
    case site(Int, SitePart)

    /// The directory relative to the output root: `public`, `test`, `sites/site-2/labelled`.
    public var directory: String {
        switch self {
        case .publicSplit: "public"
        case .globalTest: "test"
        case .site(let index, let part): "sites/site-\(index)/\(part.rawValue)"
        }
    }

    /// The prefix of image identifiers: `medsynth-public`, `medsynth-test`, `medsynth-site2-labelled`.
    public var identifierPrefix: String {
        switch self {
        case .publicSplit: "medsynth-public"
        case .globalTest: "medsynth-test"
        case .site(let index, let part): "medsynth-site\(index)-\(part.rawValue)"
        }
    }

    /// The Philox stream of image `index`: the split's code in the high 32 bits, the index in the low.
    /// Streams 0xFFFF_xxxx_xxxx_xxxx are left for per-site draws (see ``profileStream(site:)``).
    public func stream(image index: Int) -> UInt64 {
        let code: UInt64 = switch self {
        case .publicSplit: 1
        case .globalTest: 2
        case .site(let site, let part):
            16 * UInt64(site) + UInt64(SitePart.allCases.firstIndex(of: part) ?? 0)
        }
        return code << 32 | UInt64(UInt32(truncatingIfNeeded: index))
    }

    /// The stream from which site `index`'s profile draws its scanner.
    public static func profileStream(site index: Int) -> UInt64 {
        0xFFFF << 48 | UInt64(index)
    }
}
