import Testing
@testable import Datasets

/// Recall@k from cosine similarities, worked by hand.
struct RetrievalMetricsTests {
    /// Images (1,0), (0,1), (1,1); texts (0,2), (0,3), (2,2): text 0 points away from its image, the
    /// other texts at theirs (scaled, which cosine ignores).
    @Test func computesRecallAtKInBothDirections() throws {
        let images: [Float] = [1, 0, 0, 1, 1, 1]
        let texts: [Float] = [0, 2, 0, 3, 2, 2]
        let recall = try RetrievalMetrics.recall(images: images, texts: texts, width: 2, ks: [1, 2, 3])
        // Image 0 (1,0): cos with texts = 0, 0, 0.707 → own text rank 1 (text 2 higher). Image 1 (0,1): 1, 1, 0.707 → rank 0 (tie with text 0 favours the pair).
        // Image 2: 0.707, 0.707, 1 → rank 0.
        #expect(recall.imageToText == [1: 2.0 / 3, 2: 1, 3: 1])
        // Text 0 (0,1): cos with images = 0, 1, 0.707 → own image rank 2. Text 1: rank 0. Text 2 (1,1): 0.707, 0.707, 1 → rank 0.
        #expect(recall.textToImage == [1: 2.0 / 3, 2: 2.0 / 3, 3: 1])
    }

    @Test func rejectsMismatchedMatrices() {
        #expect(throws: DatasetError.invalidOption(name: "embeddings", value: "4 image and 2 text values, width 2",
                                                   expected: "two N × C matrices of the same N and C > 0")) {
            try RetrievalMetrics.recall(images: [1, 2, 3, 4], texts: [1, 2], width: 2)
        }
    }
}
