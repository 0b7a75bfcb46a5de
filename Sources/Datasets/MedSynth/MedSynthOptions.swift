/// What `tessera data synth` generates: sizes of every split, the sites and their heterogeneity.
public struct MedSynthOptions: Sendable, Equatable {
    /// The heterogeneity `low` names.
    public static let lowHeterogeneity = 0.2
    /// The heterogeneity `high` names: each site sees its dominant modality in 73% of its images
    /// (`0.2/4 + 0.8 · 0.85`), abnormal shares from 0.4 to 0.8 across sites, contrast up to ±28%,
    /// offsets up to ±0.1, up to 2 blur passes, and mostly one report style per site.
    public static let highHeterogeneity = 0.8

    /// The seed every stream derives from.
    public var seed: UInt64 = 0
    /// The number of hospitals.
    public var sites = 3
    /// The heterogeneity, 0 (IID) … 1.
    public var heterogeneity = highHeterogeneity
    /// The images of each site over its labelled, reports-only and unlabelled parts.
    public var imagesPerSite = 600
    /// The image side in pixels.
    public var imageSize = 64
    /// The VQA items of the global test set (balanced over modalities).
    public var testItems = 1000
    /// The VQA items of each site's test set.
    public var siteTestItems = 200
    /// The images of the public split.
    public var publicImages = 2000
    /// The share of a site's images in its labelled part.
    public var labelledShare = 0.5
    /// The share of a site's images in its reports-only part (the rest is unlabelled).
    public var reportsShare = 0.25
    /// Worker threads; the output does not depend on it.
    public var threads = 1

    /// Options with every default.
    public init() {}

    /// The heterogeneity named by `text`: `low`, `high`, or a number in [0, 1].
    /// - Throws: `DatasetError.invalidOption` for anything else.
    public static func heterogeneity(parsing text: String) throws(DatasetError) -> Double {
        switch text {
        case "low": return lowHeterogeneity
        case "high": return highHeterogeneity
        default:
            guard let value = Double(text), (0...1).contains(value) else {
                throw .invalidOption(name: "heterogeneity", value: text, expected: "low, high or a number in [0, 1]")
            }
            return value
        }
    }

    /// Checks every option's range.
    /// - Throws: `DatasetError.invalidOption` naming the first bad option.
    public func validate() throws(DatasetError) {
        func check(_ valid: Bool, _ name: String, _ value: String, _ expected: String) throws(DatasetError) {
            if !valid { throw .invalidOption(name: name, value: value, expected: expected) }
        }
        try check((1...1000).contains(sites), "sites", String(sites), "1...1000")
        try check((0...1).contains(heterogeneity), "heterogeneity", String(heterogeneity), "a number in [0, 1]")
        try check((0...10_000_000).contains(imagesPerSite), "images-per-site", String(imagesPerSite), "0...10000000")
        try check((MedSynthGenerator.minimumImageSize...MedSynthGenerator.maximumImageSize).contains(imageSize),
                  "image-size", String(imageSize), "16...512 pixels")
        try check((0...10_000_000).contains(testItems), "test-items", String(testItems), "0...10000000")
        try check((0...10_000_000).contains(siteTestItems), "site-test-items", String(siteTestItems), "0...10000000")
        try check((0...10_000_000).contains(publicImages), "public-images", String(publicImages), "0...10000000")
        try check(labelledShare >= 0 && reportsShare >= 0 && labelledShare + reportsShare <= 1,
                  "labelled-share + reports-share", "\(labelledShare) + \(reportsShare)", "non-negative shares summing to at most 1")
        try check((1...256).contains(threads), "threads", String(threads), "1...256")
    }

    /// How a site's images divide into (labelled, reports-only, unlabelled) counts.
    var sitePartCounts: (labelled: Int, reports: Int, unlabelled: Int) {
        let labelled = Int((Double(imagesPerSite) * labelledShare).rounded())
        let reports = min(Int((Double(imagesPerSite) * reportsShare).rounded()), imagesPerSite - labelled)
        return (labelled, reports, imagesPerSite - labelled - reports)
    }
}
