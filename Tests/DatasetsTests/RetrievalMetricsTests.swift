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
        // Image 0 (1,0): cos with texts = 0, 0, 0.707 → text 2 higher, text 1 tied: a hit at 1 never, at 2 half the
        // time, at 3 always. Image 1 (0,1): 1, 1, 0.707 → tied with text 0: a hit at 1 half the time. Image 2: 0.707, 0.707, 1 → first.
        #expect(recall.imageToText == [1: 1.5 / 3, 2: 2.5 / 3, 3: 1])
        // Text 0 (0,1): cos with images = 0, 1, 0.707 → own image rank 2. Text 1: rank 0. Text 2 (1,1): 0.707, 0.707, 1 → rank 0.
        #expect(recall.textToImage == [1: 2.0 / 3, 2: 2.0 / 3, 3: 1])
    }

    /// Identical embeddings rank every candidate equal: recall@k is chance, k / N, not 1.
    @Test func collapsedEmbeddingsScoreChance() throws {
        let recall = try RetrievalMetrics.recall(images: [Float](repeating: 1, count: 8), texts: [Float](repeating: 0, count: 8), width: 2,
                                                 ks: [1, 2, 5])
        #expect(recall.imageToText == [1: 0.25, 2: 0.5, 5: 1])
        #expect(recall.textToImage == [1: 0.25, 2: 0.5, 5: 1])
    }

    /// Images (1,0), (0,1), (1,1); pairs 0 and 1 share the text (1,1), pair 2's is (1,0). Image 1's
    /// own text scores 0.707 and the other group's 0: a hit at 1, where counting its twin (also
    /// 0.707) as a competitor would make it half of one. Images 0 and 2 each see the other group's
    /// text closer. Texts: each own image has an image of the other group closer (cos 1).
    @Test func pairsSharingATextDoNotCompete() throws {
        let recall = try RetrievalMetrics.recall(images: [1, 0, 0, 1, 1, 1], texts: [1, 1, 1, 1, 1, 0], width: 2,
                                                 groups: [0, 0, 1], ks: [1, 2])
        #expect(recall.imageToText == [1: 1.0 / 3, 2: 1])
        #expect(recall.textToImage == [1: 0, 2: 1])
    }

    /// Image 0 is NaN: its own pair is a miss, and as text 1's competitor it ranks above text 1's own.
    @Test func nonFiniteEmbeddingsAreMisses() throws {
        let recall = try RetrievalMetrics.recall(images: [.nan, 0, 0, 1], texts: [1, 0, 0, 1], width: 2, ks: [1, 2, 5])
        #expect(recall.imageToText == [1: 0.5, 2: 0.5, 5: 0.5])
        #expect(recall.textToImage == [1: 0, 2: 0.5, 5: 0.5])
    }

    @Test func rejectsMismatchedMatrices() {
        #expect(throws: DatasetError.invalidOption(name: "embeddings", value: "4 image and 2 text values, width 2, no groups",
                                                   expected: "two N × C matrices of the same N and C > 0, and N groups")) {
            try RetrievalMetrics.recall(images: [1, 2, 3, 4], texts: [1, 2], width: 2)
        }
        #expect(throws: DatasetError.invalidOption(name: "embeddings", value: "4 image and 4 text values, width 2, 3 groups",
                                                   expected: "two N × C matrices of the same N and C > 0, and N groups")) {
            try RetrievalMetrics.recall(images: [1, 2, 3, 4], texts: [1, 2, 3, 4], width: 2, groups: [0, 1, 2])
        }
    }
}
