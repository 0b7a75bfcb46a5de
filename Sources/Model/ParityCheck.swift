import Foundation
import Tensor

/// Runs a reference case made by HF transformers/PEFT (the fixtures' format) through a Tessera
/// model and compares every reference tensor: what `tessera model verify` prints and the parity
/// tests assert.
///
/// A case file holds `input_ids (N, T)` (I64), `pixel_values (N, 3, H, W)`, `labels (N, T)` and
/// references: `logits`/`loss` (or `logits_base`/`loss_base` and `logits_lora`/`loss_lora`),
/// and `grad.<PEFT in-memory name>` for each trained tensor after `loss.backward()`. An element
/// passes when `|ours − reference| ≤ absolute + relative · |reference|`.
public enum ParityCheck {
    /// One compared tensor.
    public struct Row: Sendable {
        public let name: String
        public let maximumAbsoluteDifference: Double
        /// The largest difference divided by the reference's largest magnitude.
        public let maximumRelativeDifference: Double
        public let passed: Bool
    }

    /// Compares `model` (with its adapter, if loaded) against `caseFile`.
    /// - Parameters:
    ///   - withAdapter: picks `*_lora` references over `*_base` when both exist, and compares the
    ///     `grad.*` references (only then: the reference trains adapters, never the base).
    /// - Throws: ``ModelError`` when the case names a gradient the model has no tensor for, or its
    ///   inputs do not fit the model; ``SafetensorsError`` for missing inputs.
    public static func run(model: LlavaModel, caseFile: SafetensorsFile, withAdapter: Bool,
                           absoluteTolerance: Double = 1e-4, relativeTolerance: Double = 1e-3) throws -> [Row] {
        let idsInfo = try caseFile.info("input_ids")
        guard idsInfo.shape.count == 2 else {
            throw ModelError.invalidInput(reason: "\(caseFile.source): input_ids has shape \(idsInfo.shape), expected (N, T)")
        }
        let batch = LlavaModel.Batch(inputIDs: try caseFile.integers("input_ids"), sequences: idsInfo.shape[0],
                                     pixelValues: caseFile.tensors["pixel_values"] == nil ? nil : try caseFile.tensor("pixel_values"),
                                     labels: caseFile.tensors["labels"] == nil ? nil : try caseFile.integers("labels"))
        // The tensors the reference trained are the ones whose gradients it recorded.
        let trainable = Dictionary(uniqueKeysWithValues: model.adapterTensors.map { ($0.name, $0.tensor) })
            .merging(model.parameters.map { (CheckpointNames.peftKey(forModulePath: $0.key), $0.value) }) { adapter, _ in adapter }
        // Gradients belong to the adapter run (the base model is frozen in the reference).
        var gradients: [(reference: String, tensor: Tensor)] = []
        for name in caseFile.names where withAdapter && name.hasPrefix("grad.") {
            let saved = savedName(forInMemoryName: String(name.dropFirst("grad.".count)))
            guard let tensor = trainable[saved] else {
                throw ModelError.invalidInput(reason: "\(caseFile.source): \(name) names no tensor of this model or its adapter")
            }
            gradients.append((name, tensor))
        }
        let previous = model.parameters.values.map { ($0, $0.requiresGradient) }
            + model.adapterTensors.map { ($0.tensor, $0.tensor.requiresGradient) }
        defer { for (tensor, flag) in previous { tensor.requiresGradient = flag; tensor.zeroGradient() } }
        for (tensor, _) in previous { tensor.requiresGradient = false; tensor.zeroGradient() }
        for (_, tensor) in gradients { tensor.requiresGradient = true }

        let output = try model.forward(batch, context: ForwardContext(isTraining: true))
        let logits = output.logits()
        var rows: [Row] = []
        func compare(_ name: String, _ ours: [Float]) throws {
            rows.append(row(name: name, ours: ours, reference: try caseFile.floats(name),
                            absoluteTolerance: absoluteTolerance, relativeTolerance: relativeTolerance))
        }
        let suffix = withAdapter ? "_lora" : "_base"
        if let logitsName = ["logits" + suffix, "logits"].first(where: { caseFile.tensors[$0] != nil }) {
            try compare(logitsName, logits.values)
        }
        if let labels = batch.labels {
            let loss = model.loss(logits: logits, labels: labels, sequences: batch.sequences)
            if let lossName = ["loss" + suffix, "loss"].first(where: { caseFile.tensors[$0] != nil }) {
                try compare(lossName, loss.values)
            }
            if !gradients.isEmpty {
                loss.backward()
                for (name, tensor) in gradients {
                    try compare(name, tensor.grad ?? [Float](repeating: 0, count: tensor.count))
                }
            }
        }
        return rows
    }

    /// PEFT's saved name for an in-memory parameter name (drops the adapter name `default`).
    static func savedName(forInMemoryName name: String) -> String {
        name.replacingOccurrences(of: ".modules_to_save.default.", with: ".")
            .replacingOccurrences(of: ".lora_A.default.", with: ".lora_A.")
            .replacingOccurrences(of: ".lora_B.default.", with: ".lora_B.")
    }

    static func row(name: String, ours: [Float], reference: [Float], absoluteTolerance: Double,
                    relativeTolerance: Double) -> Row {
        guard ours.count == reference.count else {
            return Row(name: name, maximumAbsoluteDifference: .infinity, maximumRelativeDifference: .infinity, passed: false)
        }
        var worst = 0.0, magnitude = 0.0, passed = true
        for (a, r) in zip(ours, reference) {
            let difference = abs(Double(a) - Double(r))
            worst = max(worst, difference.isNaN ? .infinity : difference)
            magnitude = max(magnitude, abs(Double(r)))
            if !(difference <= absoluteTolerance + relativeTolerance * abs(Double(r))) { passed = false }
        }
        return Row(name: name, maximumAbsoluteDifference: worst,
                   maximumRelativeDifference: magnitude > 0 ? worst / magnitude : worst, passed: passed)
    }
}
