import Foundation
@testable import Model
import Tensor
import Testing

/// Parity with Hugging Face transformers 5.23 + PEFT 0.21 on the tiny fixture (see
/// shared/fixtures/make_hf_fixtures.py). Tolerance: |ours − reference| ≤ 1e-4 + 1e-3·|reference|:
/// float32 sums in a different order differ by ~1e-6 relative, and logits reach ~1, gradients ~10.
struct ParityTests {
    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    }

    /// Runs the parity check; `expected` are the rows it must compare (besides `gradients` rows
    /// named `grad.*`), so a row the check left out fails too.
    static func check(adapter: String?, caseFile: String, expected: Set<String>, gradients: Int) throws {
        let model = try LlavaModel.load(from: fixture("llava-tiny"))
        if let adapter { try model.loadAdapter(from: fixture(adapter)) }
        let rows = try ParityCheck.run(model: model, caseFile: SafetensorsFile(contentsOf: fixture(caseFile)),
                                       withAdapter: adapter != nil)
        #expect(Set(rows.map(\.name).filter { !$0.hasPrefix("grad.") }) == expected)
        #expect(rows.count { $0.name.hasPrefix("grad.") } == gradients)
        for row in rows {
            print(String(format: "parity %@: max abs %.3g, max rel %.3g", row.name, row.maximumAbsoluteDifference, row.maximumRelativeDifference))
            #expect(row.passed, "\(row.name): max abs \(row.maximumAbsoluteDifference)")
        }
    }

    @Test func baseModelLogitsAndLossMatchTransformers() throws {
        try Self.check(adapter: nil, caseFile: "case.safetensors", expected: ["logits_base", "loss_base"], gradients: 0)
    }

    @Test func loraLogitsLossAndGradientsMatchPEFT() throws {
        try Self.check(adapter: "adapter", caseFile: "case.safetensors", expected: ["logits_lora", "loss_lora"], gradients: 32)
    }

    @Test func projectorAsModulesToSaveMatchesPEFT() throws {
        try Self.check(adapter: "adapter-projector", caseFile: "case-projector.safetensors", expected: ["logits", "loss"], gradients: 12)
    }
}

extension ParityTests {
    /// Nothing is special to the first fixture's sizes: another configuration matches as well.
    @Test func anotherConfigurationMatchesPEFT() throws {
        let model = try LlavaModel.load(from: Self.fixture("alt/model"))
        #expect(model.configuration.text.keyValueHeads == 3 && model.configuration.vision.patchSize == 6)
        try model.loadAdapter(from: Self.fixture("alt/adapter-projector"))
        let rows = try ParityCheck.run(model: model, caseFile: SafetensorsFile(contentsOf: Self.fixture("alt/case-projector.safetensors")),
                                       withAdapter: true)
        #expect(rows.count == 2 + 3 * 4 + 4)
        for row in rows { #expect(row.passed, "\(row.name): max abs \(row.maximumAbsoluteDifference)") }
    }
}
