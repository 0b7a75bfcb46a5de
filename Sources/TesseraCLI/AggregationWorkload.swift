import Federation
import Protocols
import Security
import Tensor

/// The updates `tessera bench aggregate` aggregates: LoRA r 16 on q_proj and v_proj of a
/// 32-layer, width-4096 model (LLaMA-7B's shape, as shared/anchors/flower_fedavg.py builds them):
/// 32 × 2 × (16×4096 + 4096×16) = 8,388,608 float32 per update.
///
/// One seeded draw gives `A ~ N(0, 0.02²)` and `B ~ N(0, 0.001²)` per tensor; site i's tensors
/// are that draw rotated by `7919·(i+1)` elements, so every site's factors differ (independent
/// enough for svd-merge) without drawing 8.4 M normals per site. nᵢ = 100 + i.
struct AggregationWorkload {
    static let layers = 32, width = 4096, rank = 16

    let global: Adapter
    let updates: [SiteUpdate]
    var parameterCount: Int { global.parameterCount }

    init(sites: Int) throws {
        var generator = SeededGenerator(seed: 0)
        let base = Self.specs().map { spec in
            NamedTensor(name: spec.name, shape: spec.shape,
                        values: (0..<spec.elementCount).map { _ in spec.deviation * generator.normal() })
        }
        global = try Adapter(base, owner: "global adapter")
        updates = try (0..<sites).map { site in
            let shift = 7919 * (site + 1)
            let tensors = base.map { tensor in
                let cut = shift % tensor.values.count
                return NamedTensor(name: tensor.name, shape: tensor.shape, values: Array(tensor.values[cut...] + tensor.values[..<cut]))
            }
            return SiteUpdate(site: "site-\(site)", sampleCount: 100 + site, adapter: try Adapter(tensors, owner: "site-\(site)"))
        }
    }

    /// Names, shapes and value deviations of the update's tensors.
    static func specs() -> [(name: String, shape: [Int], elementCount: Int, deviation: Float)] {
        (0..<layers).flatMap { layer in
            ["q_proj", "v_proj"].flatMap { projection in
                let module = "model.language_model.layers.\(layer).self_attn.\(projection)"
                return [(AdapterTensorName.loraA(modulePath: module).name, [rank, width], rank * width, Float(0.02)),
                        (AdapterTensorName.loraB(modulePath: module).name, [width, rank], rank * width, Float(0.001))]
            }
        }
    }

    /// The tensors an update container holds, for ``DeltaContainer/Stored`` to check.
    static var tensorSpecs: [TensorSpec] { specs().map { TensorSpec(name: $0.name, shape: $0.shape, dtype: .F32) } }

    /// A global adapter of the workload's names and shapes, all zeros (fedavg reads only its layout).
    static func zeroAdapter() throws -> Adapter {
        try Adapter(specs().map { NamedTensor(name: $0.name, shape: $0.shape, values: [Float](repeating: 0, count: $0.elementCount)) })
    }

    /// An fp32 upload container of `update` for round 1.
    static func container(for update: SiteUpdate) throws -> DeltaContainer {
        DeltaContainer(header: .init(round: 1, site: update.site, baseDigest: try SHA256.hash([UInt8]("bench".utf8)),
                                     sampleCount: update.sampleCount, encoding: .fp32),
                       tensors: update.adapter.tensors)
    }

    static func fileName(_ index: Int) -> String { "site-\(index).tsr" }
}
