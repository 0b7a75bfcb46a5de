import Foundation
import Protocols
import Tensor

/// The exact merge of the sites' low-rank changes, re-factored to rank r by truncated SVD
/// (ALGORITHMS.md §5), computed from the stacked factors without forming any `out × in` matrix.
///
/// For each LoRA module with site factors `Aᵢ: (rᵢ, in)`, `Bᵢ: (out, rᵢ)` and scales
/// `sᵢ = α/rᵢ` (rsLoRA `α/√rᵢ`), weights `wᵢ = nᵢ/Σn`, `R = Σ rᵢ`:
/// - `ΔW = Σ wᵢ sᵢ Bᵢ Aᵢ = B_s A_s` with `B_s = [√(w₁s₁) B₁ … √(wₙsₙ) Bₙ]: (out, R)` and
///   `A_s = [√(w₁s₁) A₁; …; √(wₙsₙ) Aₙ]: (R, in)`;
/// - thin QR `B_s = Q_B R_B` (`Q_B: (out, k_B)`), `A_sᵀ = Q_A R_A` (`Q_A: (in, k_A)`);
/// - core `M = R_B R_Aᵀ: (k_B, k_A)`, SVD `M = U Σ Vᵀ`, so `ΔW = (Q_B U) Σ (Q_A V)ᵀ`;
/// - keep the top r: `B′ = Q_B U_r Σ_r^{1/2} / √s′`, `A′ = Σ_r^{1/2} V_rᵀ Q_Aᵀ / √s′` with the
///   output scale `s′ = α/r`, so that `s′ B′ A′` is the best rank-r approximation of `ΔW`
///   (Eckart–Young), with Frobenius error `√(Σ_{j>r} σⱼ²)`, reported per module. When
///   `r ≥ R` the merge is exact; fewer than r singular values are padded with zero columns/rows.
///
/// Cost `O((out + in) R²)` per module. Sites may have different ranks (their `A` and `B` must
/// agree). Other tensors (`modules_to_save`, objective tensors) are averaged with the weights.
public struct SVDMerge: AggregationStrategy {
    /// The output rank r (the plan's `lora.r`).
    public let rank: Int
    public let alpha: Double
    public let useRSLoRA: Bool

    public var name: String { "svd-merge" }

    /// - Throws: ``AggregationError/invalidOption(strategy:option:value:requirement:)`` unless
    ///   `rank ≥ 1` and `alpha` is finite and > 0.
    public init(rank: Int, alpha: Double, useRSLoRA: Bool) throws {
        guard rank >= 1 else {
            throw AggregationError.invalidOption(strategy: "svd-merge", option: "rank", value: "\(rank)", requirement: "the rank must be ≥ 1")
        }
        guard alpha.isFinite, alpha > 0 else {
            throw AggregationError.invalidOption(strategy: "svd-merge", option: "alpha", value: "\(alpha)", requirement: "alpha must be finite and > 0")
        }
        self.rank = rank
        self.alpha = alpha
        self.useRSLoRA = useRSLoRA
    }

    /// The plan's rank and scale.
    /// - Throws: as ``init(rank:alpha:useRSLoRA:)``.
    public init(lora: TrainingPlan.LoRA) throws {
        try self.init(rank: lora.r, alpha: lora.alpha, useRSLoRA: lora.useRSLoRA)
    }

    /// PEFT's scale for rank `r`: `α/r`, or `α/√r` with rsLoRA.
    public func scale(rank r: Int) -> Double {
        useRSLoRA ? alpha / Double(r).squareRoot() : alpha / Double(r)
    }

    /// - Throws: ``AggregationError``: `noUpdates`, `negativeSampleCount`, `zeroTotalWeight`,
    ///   `missingTensor`, `unexpectedTensor`, `shapeMismatch`, `unpairedFactors`,
    ///   `nonFiniteValue`, `nonFiniteResult`, `linearAlgebra`.
    public func aggregate(_ updates: [SiteUpdate], onto global: Adapter) throws -> Aggregation {
        guard !updates.isEmpty else { throw AggregationError.noUpdates(strategy: name) }
        let modules = try Self.modules(of: global, owner: "global adapter")
        for update in updates { try check(update, against: global, modules: modules) }
        let total = updates.reduce(0) { $0 + $1.sampleCount }
        guard total > 0 else { throw AggregationError.zeroTotalWeight(sites: updates.count) }
        let weights = updates.map { Double($0.sampleCount) / Double(total) }

        var report = AggregationReport(strategy: name, contributions: zip(updates, weights).map { update, weight in
            AggregationReport.Contribution(site: update.site, sampleCount: update.sampleCount, weight: weight, stepNorm: nil, clipped: false)
        }, totalSampleCount: total)
        var tensors: [NamedTensor] = []
        var factorNames: Set<String> = []
        for module in modules {
            factorNames.formUnion([module.a, module.b])
            let factors = zip(updates, weights).compactMap { update, weight -> (a: Tensor, b: Tensor, coefficient: Double)? in
                guard let a = update.adapter[module.a], let b = update.adapter[module.b] else { return nil }
                return (Tensor(shape: a.shape, values: a.values), Tensor(shape: b.shape, values: b.values), weight * scale(rank: a.shape[0]))
            }
            let merged = try Self.merge(factors, rank: rank, outputScale: scale(rank: rank), module: module.path)
            for (name, factor) in [(module.a, merged.a), (module.b, merged.b)] {
                if let index = factor.values.withUnsafeBufferPointer(AggregationKernels.firstNonFinite) {
                    throw AggregationError.nonFiniteResult(tensor: name, index: index)
                }
                tensors.append(NamedTensor(name: name, shape: factor.shape, values: factor.values))
            }
            report.truncationErrors[module.path] = merged.error
            report.relativeTruncationErrors[module.path] = merged.norm > 0 ? merged.error / merged.norm : 0
        }
        for tensor in global.tensors where !factorNames.contains(tensor.name) {
            tensors.append(try Self.weightedAverage(of: tensor.name, in: updates, weights: weights))
        }
        return Aggregation(adapter: try Adapter(tensors, owner: "aggregate"), report: report)
    }

    /// `Σ wᵢ sᵢ Bᵢ Aᵢ` re-factored to rank `r` (see the type's comment).
    /// - Parameter factors: each site's `A: (rᵢ, in)`, `B: (out, rᵢ)` and `wᵢ sᵢ`.
    /// - Returns: `A′: (r, in)`, `B′: (out, r)`, the truncation error `√(Σ_{j>r} σⱼ²)` and
    ///   `‖ΔW‖_F = √(Σ_j σⱼ²)`.
    static func merge(_ factors: [(a: Tensor, b: Tensor, coefficient: Double)], rank r: Int, outputScale: Double,
                      module: String) throws -> (a: Tensor, b: Tensor, error: Double, norm: Double) {
        let stackedB = Tensor.concatenated(factors.map { $0.b * Float($0.coefficient.squareRoot()) }, alongAxis: 1)  // (out, R)
        let stackedAT = Tensor.concatenated(factors.map { $0.a.transposed() * Float($0.coefficient.squareRoot()) }, alongAxis: 1)  // (in, R)
        let (qB, rB, qA, u, sigma, vt): (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor)
        do {
            (qB, rB) = try LinearAlgebra.qr(stackedB)  // (out, kB), (kB, R)
            let (q, rA) = try LinearAlgebra.qr(stackedAT)  // (in, kA), (kA, R)
            qA = q
            // M = R_B · R_Aᵀ: (kB, kA); GEMM with the second operand transposed.
            (u, sigma, vt) = try LinearAlgebra.svd(rB.matmul(rA, transposeOther: true))
        } catch let failure as TensorError {
            throw AggregationError.linearAlgebra(module: module, failure: failure)
        }
        let kB = qB.shape[1], kA = qA.shape[1], k = sigma.count
        let kept = min(r, k)
        // left = U_r Σ_r^{1/2} / √s′: (kB, r); right = Σ_r^{1/2} V_rᵀ / √s′: (r, kA); zero beyond `kept`.
        var left = [Float](repeating: 0, count: kB * r)
        var right = [Float](repeating: 0, count: r * kA)
        for j in 0..<kept {
            let factor = Float((Double(sigma.values[j]) / outputScale).squareRoot())
            for row in 0..<kB { left[row * r + j] = u.values[row * k + j] * factor }
            for column in 0..<kA { right[j * kA + column] = vt.values[j * kA + column] * factor }
        }
        let b = qB.matmul(Tensor(shape: [kB, r], values: left))  // (out, kB) · (kB, r)
        let a = Tensor(shape: [r, kA], values: right).matmul(qA, transposeOther: true)  // (r, kA) · (in, kA)ᵀ
        let squares = sigma.values.map { Double($0) * Double($0) }
        return (a, b, squares[kept...].reduce(0, +).squareRoot(), squares.reduce(0, +).squareRoot())
    }

    /// A LoRA module of the global adapter: its path and the names of its two factors.
    struct Module {
        let path: String
        let a: String
        let b: String
    }

    /// The LoRA modules of an adapter, in path order; every `lora_A` must have its `lora_B`.
    static func modules(of adapter: Adapter, owner: String) throws -> [Module] {
        var factors: [String: (a: String?, b: String?)] = [:]
        for tensor in adapter.tensors {
            switch AdapterTensorName(parsing: tensor.name) {
            case let .loraA(path)?: factors[path, default: (nil, nil)].a = tensor.name
            case let .loraB(path)?: factors[path, default: (nil, nil)].b = tensor.name
            default: break
            }
        }
        return try factors.keys.sorted().map { path in
            guard let a = factors[path]?.a, let b = factors[path]?.b else {
                throw AggregationError.unpairedFactors(site: owner, module: path, reason: "lora_A and lora_B must both be present")
            }
            return Module(path: path, a: a, b: b)
        }
    }

    /// Names, shapes (LoRA ranks free), sample count and finiteness of one update.
    private func check(_ update: SiteUpdate, against global: Adapter, modules: [Module]) throws {
        guard update.sampleCount >= 0 else {
            throw AggregationError.negativeSampleCount(site: update.site, sampleCount: update.sampleCount)
        }
        var factorNames: Set<String> = []
        for module in modules {
            factorNames.formUnion([module.a, module.b])
            guard let a = update.adapter[module.a] else { throw AggregationError.missingTensor(site: update.site, tensor: module.a) }
            guard let b = update.adapter[module.b] else { throw AggregationError.missingTensor(site: update.site, tensor: module.b) }
            let inputs = global[module.a]?.shape.last ?? 0, outputs = global[module.b]?.shape.first ?? 0
            guard a.shape.count == 2, a.shape[1] == inputs, a.shape[0] >= 1 else {
                throw AggregationError.shapeMismatch(site: update.site, tensor: module.a, found: a.shape, expected: [a.shape.first ?? 1, inputs])
            }
            guard b.shape.count == 2, b.shape[0] == outputs else {
                throw AggregationError.shapeMismatch(site: update.site, tensor: module.b, found: b.shape, expected: [outputs, a.shape[0]])
            }
            guard b.shape[1] == a.shape[0] else {
                throw AggregationError.unpairedFactors(site: update.site, module: module.path,
                                                       reason: "lora_A \(a.shape) and lora_B \(b.shape) must share the rank")
            }
        }
        for tensor in global.tensors where !factorNames.contains(tensor.name) {
            guard let found = update.adapter[tensor.name] else { throw AggregationError.missingTensor(site: update.site, tensor: tensor.name) }
            guard found.shape == tensor.shape else {
                throw AggregationError.shapeMismatch(site: update.site, tensor: tensor.name, found: found.shape, expected: tensor.shape)
            }
        }
        if let extra = update.adapter.tensors.first(where: { global[$0.name] == nil }) {
            throw AggregationError.unexpectedTensor(site: update.site, tensor: extra.name)
        }
        try WeightedAverage.requireFinite(update)
    }

    /// `Σ wᵢ xᵢ` of one non-LoRA tensor (every update holds it: checked).
    private static func weightedAverage(of name: String, in updates: [SiteUpdate], weights: [Double]) throws -> NamedTensor {
        guard let first = updates.first?.adapter[name] else { throw AggregationError.noUpdates(strategy: "svd-merge") }
        var sum = [Float](repeating: 0, count: first.values.count)
        sum.withUnsafeMutableBufferPointer { sum in
            for (update, weight) in zip(updates, weights) {
                update.adapter[name]?.values.withUnsafeBufferPointer { x in
                    AggregationKernels.accumulate(x, weight: Float(weight), into: sum)
                }
            }
        }
        if let index = sum.withUnsafeBufferPointer(AggregationKernels.firstNonFinite) {
            throw AggregationError.nonFiniteResult(tensor: name, index: index)
        }
        return NamedTensor(name: name, shape: first.shape, values: sum)
    }
}
