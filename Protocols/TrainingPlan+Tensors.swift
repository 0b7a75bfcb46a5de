extension TrainingPlan {
    /// The tensors of a round: what each site uploads and what the aggregator publishes, both
    /// derived from the base model and the LoRA fields
    /// (``derived(from:lora:encoding:objectiveTensors:)``), so no site chooses its own.
    ///
    /// `global` (all F32, canonical name order) holds, for each targeted module `M` with
    /// `W: (out, in)`, `…M.lora_A.weight: [r, in]` and `…M.lora_B.weight: [out, r]`; each
    /// parameter of a `modules_to_save` module with its base shape; each objective tensor.
    /// `upload` is `global` minus the `lora_A` tensors under FFA, in the wire encoding's dtype.
    public struct Tensors: Codable, Equatable, Sendable {
        public var upload: [TensorSpec]
        public var global: [TensorSpec]

        public init(upload: [TensorSpec], global: [TensorSpec]) {
            self.upload = upload
            self.global = global
        }

        /// The tensor lists for a base model and LoRA settings.
        ///
        /// A linear layer is targeted when its module path matches `lora.targetModules`; a base
        /// parameter is saved in full when its path, or the path of a module containing it (any
        /// dotted prefix), matches `lora.modulesToSave` (see ``TargetModules``).
        /// - Parameters:
        ///   - base: the base model's linear layers and parameters (from the Model library).
        ///   - lora: the plan's LoRA fields.
        ///   - encoding: the uploads' encoding.
        ///   - objectiveTensors: tensors objectives train for themselves, named
        ///     `tessera.objective.<objective>.…`, in any dtype (they get the lists' dtypes).
        /// - Throws: ``TrainingPlanError/invalidValue(field:value:expected:)`` when the targets or
        ///   saved modules match nothing, or the pattern is invalid.
        public static func derived(from base: BaseModelDescription, lora: LoRA, encoding: WireEncoding,
                                   objectiveTensors: [TensorSpec] = []) throws -> Tensors {
            let isTarget = try lora.targetModules.matcher()
            var global: [TensorSpec] = []
            for layer in base.linearLayers where isTarget(layer.modulePath) {
                global.append(TensorSpec(name: AdapterTensorName.loraA(modulePath: layer.modulePath).name,
                                         shape: [lora.r, layer.inFeatures], dtype: .F32))
                global.append(TensorSpec(name: AdapterTensorName.loraB(modulePath: layer.modulePath).name,
                                         shape: [layer.outFeatures, lora.r], dtype: .F32))
            }
            guard !global.isEmpty else {
                throw TrainingPlanError.invalidValue(field: "lora.target_modules", value: lora.targetModules.description,
                                                     expected: "patterns matching at least one linear layer of the base model")
            }
            let saved = base.parameters.filter { isSaved(parameterPath: $0.path, modulesToSave: lora.modulesToSave) }
            for name in lora.modulesToSave where !saved.contains(where: { isSaved(parameterPath: $0.path, modulesToSave: [name]) }) {
                throw TrainingPlanError.invalidValue(field: "lora.modules_to_save", value: name,
                                                     expected: "a module of the base model")
            }
            global += saved.map { TensorSpec(name: AdapterTensorName.saved(parameterPath: $0.path).name, shape: $0.shape, dtype: .F32) }
            global += objectiveTensors.map { TensorSpec(name: $0.name, shape: $0.shape, dtype: .F32) }
            global = global.canonicallyOrdered
            return Tensors(upload: uploaded(global: global, ffa: lora.ffa, encoding: encoding), global: global)
        }

        /// The upload list implied by a global list: without `lora_A` under FFA, in `encoding`.
        static func uploaded(global: [TensorSpec], ffa: Bool, encoding: WireEncoding) -> [TensorSpec] {
            global.compactMap { spec in
                if ffa, case .loraA = AdapterTensorName(parsing: spec.name) { return nil }
                return TensorSpec(name: spec.name, shape: spec.shape, dtype: encoding.dtype)
            }
        }

        /// Whether the parameter at `parameterPath` belongs to a module named in `modulesToSave`:
        /// some dotted prefix of the path (`model`, `model.multi_modal_projector`, …) matches.
        public static func isSaved(parameterPath: String, modulesToSave: [String]) -> Bool {
            let components = parameterPath.split(separator: ".", omittingEmptySubsequences: false)
            return (1..<max(components.count, 1)).contains { count in
                TargetModules.path(components.prefix(count).joined(separator: "."), matchesAnyOf: modulesToSave)
            }
        }
    }
}
