import Tensor

/// Image↔text retrieval recall@k from paired embedding matrices (ALGORITHMS.md §6): row i of the
/// images belongs with row i of the texts; similarity is cosine.
public enum RetrievalMetrics {
    /// Recall@k in both directions.
    public struct Recall: Sendable, Equatable {
        /// For each k: the share of images whose own text ranks in the top k among all texts.
        public var imageToText: [Int: Double]
        /// For each k: the share of texts whose own image ranks in the top k among all images.
        public var textToImage: [Int: Double]
    }

    /// Recall@k of `images` (N, C) against `texts` (N, C), both row-major.
    ///
    /// A hit at k is the true partner among the k candidates of highest cosine, ties broken at
    /// random and counted in expectation: with g others higher and t tied, the hit's chance is
    /// (k − g) / (t + 1), clamped to [0, 1]. Collapsed (identical) embeddings so score chance,
    /// k / N, not a perfect recall. Zero vectors have cosine 0 with everything; a non-finite
    /// similarity ranks above every other (a pair whose own is non-finite is a miss).
    ///
    /// Pairs of one group share their text (the same report for several images): an image's
    /// candidates are its own text and one text of each other group, and a text's candidates are
    /// its own image and the images of the other groups, so a duplicate text is neither a second
    /// candidate nor a competitor.
    /// - Parameters:
    ///   - images: N × C image embeddings, row-major.
    ///   - texts: N × C text embeddings, row-major.
    ///   - width: C.
    ///   - groups: Each pair's group, equal for pairs with the same text (default: every pair its own).
    ///   - ks: The cut-offs (default 1, 5, 10).
    /// - Throws: `DatasetError.invalidOption` when the sizes do not match (N × C each, same N, N groups).
    public static func recall(images: [Float], texts: [Float], width: Int, groups: [Int]? = nil,
                              ks: [Int] = [1, 5, 10]) throws(DatasetError) -> Recall {
        guard width > 0, images.count % width == 0, images.count == texts.count,
              groups.map({ $0.count * width == images.count }) ?? true else {
            throw .invalidOption(name: "embeddings", value: "\(images.count) image and \(texts.count) text values, width \(width), "
                                     + "\(groups.map { "\($0.count) groups" } ?? "no groups")",
                                 expected: "two N × C matrices of the same N and C > 0, and N groups")
        }
        let count = images.count / width
        let groups = groups ?? Array(0..<count)
        var representatives: [Int: Int] = [:]
        for (pair, group) in groups.enumerated() where representatives[group] == nil { representatives[group] = pair }
        let textCandidates = representatives.values.sorted()
        let imageRows = normalizedRows(images, width: width), textRows = normalizedRows(texts, width: width)
        // similarity (N, N) = images (N, C) · textsᵀ (C, N): cos(image i, text j) at [i, j] (sgemm, B transposed).
        let similarity = Tensor(shape: [count, width], values: imageRows)
            .matmul(Tensor(shape: [count, width], values: textRows), transposeOther: true).values
        /// (others higher, others tied), or nil for a miss at every k (a non-finite own similarity).
        func rank(own: Float, among others: [Float]) -> (higher: Int, tied: Int)? {
            guard own.isFinite else { return nil }
            return (others.count { !($0 <= own) }, others.count { $0 == own })
        }
        // The rank of each true pair, by row (image → text) and by column.
        var imageRanks: [(higher: Int, tied: Int)?] = [], textRanks: [(higher: Int, tied: Int)?] = []
        for i in 0..<count {
            let own = similarity[i * count + i]
            let row = textCandidates.filter { groups[$0] != groups[i] }.map { similarity[i * count + $0] }
            let column = (0..<count).filter { groups[$0] != groups[i] }.map { similarity[$0 * count + i] }
            imageRanks.append(rank(own: own, among: row))
            textRanks.append(rank(own: own, among: column))
        }
        func shares(_ ranks: [(higher: Int, tied: Int)?]) -> [Int: Double] {
            Dictionary(uniqueKeysWithValues: ks.map { k in
                let hits = ranks.reduce(0.0) { total, rank in
                    guard let rank else { return total }
                    return total + min(max(Double(k - rank.higher) / Double(rank.tied + 1), 0), 1)
                }
                return (k, count == 0 ? 0 : hits / Double(count))
            })
        }
        return Recall(imageToText: shares(imageRanks), textToImage: shares(textRanks))
    }

    private static func normalizedRows(_ values: [Float], width: Int) -> [Float] {
        var rows = values
        for start in stride(from: 0, to: values.count, by: width) {
            var norm: Float = 0
            for c in 0..<width { norm += values[start + c] * values[start + c] }
            let scale = norm > 0 ? 1 / norm.squareRoot() : 0
            for c in 0..<width { rows[start + c] *= scale }
        }
        return rows
    }
}
