import Tensor

/// What makes one hospital's data differ from another's (non-IID): its modality mix, how often its
/// studies are abnormal and with which findings, its scanner and its report style.
///
/// Derived from the heterogeneity `h` ∈ [0, 1] (0 = every site IID with the public split, 1 = the most
/// skewed) and the site's index `k` among `n` sites (0-based):
/// - modality mix: `p(m) = (1 − h)/4 + h · (0.85 if m is the site's dominant modality (k mod 4) else 0.05)`;
/// - abnormal share: `0.6 + 0.25 · h · s_k` with `s_k` spread evenly over [−1, 1] across sites;
/// - finding types within a modality: weight `(1 − h) + h · (4 if preferred (k mod types) else 0.5)`;
/// - scanner: contrast `1 + 0.35 · h · c`, offset `0.12 · h · o` (c, o uniform in [−1, 1] from the
///   site's seed stream), noise `0.02 + 0.05 · h · u` (u uniform in [0, 1]), blur passes `round(2 · h · b)`
///   with b uniform in [0, 1];
/// - report style: the site's preferred style (k mod 3) with probability `1/3 + 2h/3`, others equally;
///   sizes in centimetres instead of millimetres with probability `0.1 · (1 − h) + 0.5 · h` on odd k
///   (site-2, site-4, …) and `0.1 · (1 − h)` on the others.
public struct SiteProfile: Sendable, Equatable, Codable {
    /// The probability of each modality, in `Modality.allCases` order.
    public var modalityWeights: [Double]
    /// The share of abnormal studies.
    public var abnormalShare: Double
    /// The weight of each finding type within its modality.
    public var findingWeights: [FindingType: Double]
    /// The scanner.
    public var scanner: ScannerProfile
    /// The probability of each report style, in `ReportStyle.allCases` order.
    public var styleWeights: [Double]
    /// The probability that a report gives sizes in centimetres.
    public var centimetreShare: Double

    /// The public split's profile: IID over modalities and findings, reference scanner, mixed styles.
    public static let reference = SiteProfile(
        modalityWeights: [0.25, 0.25, 0.25, 0.25], abnormalShare: 0.6,
        findingWeights: Dictionary(uniqueKeysWithValues: FindingType.allCases.map { ($0, 1.0) }),
        scanner: .reference, styleWeights: [1, 1, 1], centimetreShare: 0.1)

    /// Creates a profile from its parts.
    public init(modalityWeights: [Double], abnormalShare: Double, findingWeights: [FindingType: Double],
                scanner: ScannerProfile, styleWeights: [Double], centimetreShare: Double) {
        self.modalityWeights = modalityWeights
        self.abnormalShare = abnormalShare
        self.findingWeights = findingWeights
        self.scanner = scanner
        self.styleWeights = styleWeights
        self.centimetreShare = centimetreShare
    }

    /// The profile of site `index` (0-based) of `count` at heterogeneity `heterogeneity`.
    /// - Parameter generator: The site's own stream; it draws the scanner's jitter only.
    public init(site index: Int, of count: Int, heterogeneity h: Double, generator: inout SeededGenerator) {
        let dominant = index % Modality.allCases.count
        modalityWeights = Modality.allCases.indices.map { (1 - h) / 4 + h * ($0 == dominant ? 0.85 : 0.05) }
        let spread = count > 1 ? 2 * Double(index) / Double(count - 1) - 1 : 0
        abnormalShare = 0.6 + 0.25 * h * spread
        var weights: [FindingType: Double] = [:]
        for modality in Modality.allCases {
            let types = modality.findingTypes
            for (position, type) in types.enumerated() {
                let preferred = position == index % types.count
                weights[type] = (1 - h) + h * (preferred ? 4 : 0.5)
            }
        }
        findingWeights = weights
        let hf = Float(h)
        scanner = ScannerProfile(
            contrast: 1 + 0.35 * hf * generator.uniform(-1, 1),
            offset: 0.12 * hf * generator.uniform(-1, 1),
            noise: 0.02 + 0.05 * hf * generator.uniform(0, 1),
            blurPasses: Int((2 * hf * generator.uniform(0, 1)).rounded()))
        let preferredStyle = index % ReportStyle.allCases.count
        styleWeights = ReportStyle.allCases.indices.map { $0 == preferredStyle ? 1.0 / 3 + 2 * h / 3 : (1 - h) / 3 }
        // The public split's 0.1 at h = 0; at the odd-numbered sites (site-2, site-4, …) half of all
        // reports at h = 1, none at the others.
        centimetreShare = (1 - h) * SiteProfile.reference.centimetreShare + h * (index % 2 == 1 ? 0.5 : 0)
    }
}
