import Foundation
@testable import Model
import Tensor
import Testing

struct GenerationTests {
    static func prompts(_ model: LlavaModel) -> [[Int]] {
        let c = model.configuration
        let image = [Int](repeating: c.imageTokenIndex, count: c.imageTokensPerImage)
        return [[1] + image + [17, 42, 99], [1] + image + [5, 6]]
    }

    /// Generation with the KV cache equals recomputing the whole sequence for every token. (The
    /// comparisons here are exact, so each test holds one BLAS thread count: parallel tests may
    /// change it, and another count rounds some products differently.)
    @Test func cachedGenerationEqualsRecomputation() throws {
        try BLAS.holdingThreads(1) { try Self.compareCachedGenerationWithRecomputation() }
    }

    static func compareCachedGenerationWithRecomputation() throws {
        let model = LlavaModelTests.tinyModel(seed: 4)
        let pixels = LlavaModelTests.batch(for: model).pixelValues
        var options = GenerationOptions(maximumNewTokens: 8)
        let cached = try model.generate(prompts: Self.prompts(model), pixelValues: pixels, options: options)
        options.usesCache = false
        let recomputed = try model.generate(prompts: Self.prompts(model), pixelValues: pixels, options: options)
        #expect(cached == recomputed)
        #expect(cached.allSatisfy { !$0.isEmpty && $0.count <= 8 })
    }

    /// Left padding with masks: a prompt generates the same tokens alone or batched with a longer one.
    @Test func batchedGenerationEqualsSingleGeneration() throws {
        try BLAS.holdingThreads(1) { try Self.compareBatchedGenerationWithSingle() }
    }

    static func compareBatchedGenerationWithSingle() throws {
        let model = LlavaModelTests.tinyModel(seed: 4)
        let pixels = try #require(LlavaModelTests.batch(for: model).pixelValues)
        let options = GenerationOptions(maximumNewTokens: 6)
        let both = try model.generate(prompts: Self.prompts(model), pixelValues: pixels, options: options)
        let second = try model.generate(prompts: [Self.prompts(model)[1]], pixelValues: pixels.sliced(alongAxis: 0, 1..<2), options: options)
        #expect(both[1] == second[0])
    }

    @Test func samplingIsSeeded() throws {
        try BLAS.holdingThreads(1) { try Self.sampleTwice() }
    }

    static func sampleTwice() throws {
        let model = LlavaModelTests.tinyModel(seed: 4)
        let pixels = LlavaModelTests.batch(for: model).pixelValues
        let options = GenerationOptions(maximumNewTokens: 6, temperature: 1.2, topP: 0.95, seed: 11)
        let first = try model.generate(prompts: Self.prompts(model), pixelValues: pixels, options: options)
        #expect(try model.generate(prompts: Self.prompts(model), pixelValues: pixels, options: options) == first)
    }
}
