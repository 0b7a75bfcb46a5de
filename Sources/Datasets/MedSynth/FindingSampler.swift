import Tensor

/// Draws the findings of one study: normal or not, a primary finding weighted by the site's
/// preferences, and findings that realistically come with it.
///
/// Co-occurrence: cardiomegaly brings an effusion with probability 0.5 (heart failure), an effusion
/// brings cardiomegaly with 0.3, a nodule brings an effusion with 0.15; a tumour brings a haemorrhage
/// with 0.3 (bleeding into the tumour, same side), a haemorrhage a tumour with 0.15; liver lesions and
/// kidney stones come together with 0.25. Companions never cover each other: an effusion goes to the
/// other side of a lower-zone nodule, and a haemorrhage lies in the other region from a tumour.
enum FindingSampler {
    /// The findings of a study of `modality` at a site with `profile`, in `FindingType.allCases` order.
    static func findings(for modality: Modality, profile: SiteProfile, generator: inout SeededGenerator) -> [Finding] {
        guard generator.chance(profile.abnormalShare) else { return [] }
        let types = modality.findingTypes
        let primaryType = types[generator.index(weightedBy: types.map { profile.findingWeights[$0] ?? 1 })]
        let primary = finding(primaryType, generator: &generator)
        var findings = [primary]
        let companion: (FindingType, Double)? = switch primaryType {
        case .cardiomegaly: (.effusion, 0.5)
        case .effusion: (.cardiomegaly, 0.3)
        case .nodule: (.effusion, 0.15)
        case .tumour: (.haemorrhage, 0.3)
        case .haemorrhage: (.tumour, 0.15)
        case .liverLesion: (.kidneyStone, 0.25)
        case .kidneyStone: (.liverLesion, 0.25)
        case .pneumothorax, .atypicalCells: nil
        }
        if let (type, probability) = companion, generator.chance(probability) {
            var side: Finding.Side? = nil, region: Finding.Region? = nil
            if type == .effusion, primary.type == .nodule, primary.region == .lower {
                side = primary.side?.opposite
            }
            if type == .haemorrhage || type == .tumour {
                side = primary.side
                region = primary.region?.opposite
            }
            findings.append(finding(type, side: side, region: region, generator: &generator))
        }
        let order = FindingType.allCases
        return findings.sorted { order.firstIndex(of: $0.type) ?? 0 < order.firstIndex(of: $1.type) ?? 0 }
    }

    /// A finding of `type` with random attributes, except those fixed by the caller or the anatomy.
    private static func finding(_ type: FindingType, side: Finding.Side? = nil, region: Finding.Region? = nil,
                                generator: inout SeededGenerator) -> Finding {
        let drawnSide: Finding.Side? = !type.hasSide ? nil
            : type == .liverLesion ? .right
            : side ?? generator.pick(Finding.Side.allCases)
        let drawnRegion: Finding.Region? = !type.hasRegion ? nil
            : type == .effusion ? .lower
            : region ?? generator.pick(Finding.Region.allCases)
        var sizeClass: Finding.SizeClass? = nil, size: Int? = nil
        if type.hasSize {
            let drawnClass = generator.pick(Finding.SizeClass.allCases)
            sizeClass = drawnClass
            size = generator.integer(in: drawnClass == .small ? type.sizeRanges.small : type.sizeRanges.large)
        }
        var count = 1
        if type.isCountable {
            let maximum = type == .nodule || type == .liverLesion ? 3 : 2
            count = min(1 + generator.index(weightedBy: [0.5, 0.3, 0.2]), maximum)
        }
        return Finding(type: type, side: drawnSide, region: drawnRegion, sizeClass: sizeClass, size: size, count: count)
    }
}
