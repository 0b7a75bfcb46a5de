extension TrainingPlan {
    /// The largest campaign seed, 2⁵³ − 1 (see ``Randomness/campaignSeed``).
    public static let maximumCampaignSeed: UInt64 = (1 << 53) - 1

    /// Checks every rule a plan obeys; decoding and ``init(objectives:schedule:optimizer:randomness:lora:tensors:wire:round:)`` call it.
    ///
    /// Rules: protocol version is current; objectives non-empty, `ar` first, names distinct and of
    /// `[a-z0-9_-]`, weights finite ≥ 0 (`ar`'s > 0); sizes positive, `batch_size` a multiple of
    /// `gradient_accumulation`, `warmup_steps ≤ steps`,
    /// learning rate and clip norm finite > 0; betas two values in [0, 1), epsilon > 0, weight
    /// decay ≥ 0; campaign seed ≤ 2⁵³ − 1; r ≥ 1, alpha > 0, dropout in [0, 1); `lora.ffa` iff
    /// strategy `ffa`; `trim_fraction` in (0, 0.5) iff strategy `trimmed-mean`; step-norm bound
    /// finite > 0; quorum, deadline and maximum upload bytes ≥ 1; and the tensor lists as
    /// ``Tensors`` describes them: every global tensor F32 and either a LoRA factor of a
    /// targeted module (`lora_A: [r, in]`, `lora_B: [out, r]`, both present, same `in`/`out`
    /// pairing), a parameter of a `modules_to_save` module, or an objective's tensor; the upload
    /// list exactly the global list minus `lora_A` under FFA, in the wire dtype.
    /// - Throws: ``TrainingPlanError`` naming the first field that breaks a rule.
    public func validate() throws {
        guard protocolVersion == ProtocolVersion.current else {
            throw TrainingPlanError.unsupportedProtocolVersion(found: protocolVersion, expected: ProtocolVersion.current)
        }
        try validateObjectives()
        try validateSchedule()
        try validateOptimizer()
        try validateLoRAAndRound()
        try validateTensors()
    }

    private func validateObjectives() throws {
        guard let first = objectives.first else {
            throw TrainingPlanError.invalidValue(field: "objectives", value: "[]", expected: "a list starting with ar")
        }
        guard first.name == "ar" else {
            throw TrainingPlanError.invalidValue(field: "objectives.0.name", value: first.name, expected: "ar (the autoregressive loss comes first)")
        }
        var seen: Set<String> = []
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-".unicodeScalars)
        for (index, objective) in objectives.enumerated() {
            guard !objective.name.isEmpty, objective.name.unicodeScalars.allSatisfy(allowed.contains) else {
                throw TrainingPlanError.invalidValue(field: "objectives.\(index).name", value: objective.name,
                                                     expected: "lowercase letters, digits, _ and -")
            }
            guard seen.insert(objective.name).inserted else {
                throw TrainingPlanError.invalidValue(field: "objectives.\(index).name", value: objective.name, expected: "a name not listed before")
            }
            let minimum = index == 0 ? "> 0" : "≥ 0"
            guard objective.weight.isFinite, objective.weight > 0 || (index > 0 && objective.weight == 0) else {
                throw TrainingPlanError.invalidValue(field: "objectives.\(index).weight", value: "\(objective.weight)", expected: "a finite number \(minimum)")
            }
        }
    }

    private func validateSchedule() throws {
        try Self.require(schedule.steps, atLeast: 1, field: "schedule.steps")
        try Self.require(schedule.batchSize, atLeast: 1, field: "schedule.batch_size")
        try Self.require(schedule.gradientAccumulation, atLeast: 1, field: "schedule.gradient_accumulation")
        guard schedule.batchSize % schedule.gradientAccumulation == 0 else {
            throw TrainingPlanError.invalidValue(field: "schedule.batch_size", value: "\(schedule.batchSize)",
                                                 expected: "a multiple of schedule.gradient_accumulation (\(schedule.gradientAccumulation)): "
                                                     + "the examples of one optimizer step, split into that many micro-batches")
        }
        try Self.require(schedule.maxSequenceLength, atLeast: 1, field: "schedule.max_sequence_length")
        try Self.requirePositive(schedule.learningRate, field: "schedule.learning_rate")
        guard (0...schedule.steps).contains(schedule.warmupSteps) else {
            throw TrainingPlanError.invalidValue(field: "schedule.warmup_steps", value: "\(schedule.warmupSteps)",
                                                 expected: "an integer from 0 to schedule.steps (\(schedule.steps))")
        }
        if let norm = schedule.gradientClipNorm { try Self.requirePositive(norm, field: "schedule.gradient_clip_norm") }
    }

    private func validateOptimizer() throws {
        guard optimizer.betas.count == 2, optimizer.betas.allSatisfy({ $0 >= 0 && $0 < 1 }) else {
            throw TrainingPlanError.invalidValue(field: "optimizer.betas", value: "\(optimizer.betas)", expected: "two numbers in [0, 1)")
        }
        try Self.requirePositive(optimizer.epsilon, field: "optimizer.epsilon")
        guard optimizer.weightDecay.isFinite, optimizer.weightDecay >= 0 else {
            throw TrainingPlanError.invalidValue(field: "optimizer.weight_decay", value: "\(optimizer.weightDecay)", expected: "a finite number ≥ 0")
        }
        guard randomness.campaignSeed <= Self.maximumCampaignSeed else {
            throw TrainingPlanError.invalidValue(field: "randomness.campaign_seed", value: "\(randomness.campaignSeed)",
                                                 expected: "an integer from 0 to 2^53 − 1 (\(Self.maximumCampaignSeed))")
        }
    }

    private func validateLoRAAndRound() throws {
        try Self.require(lora.r, atLeast: 1, field: "lora.r")
        try Self.requirePositive(lora.alpha, field: "lora.alpha")
        guard lora.dropout >= 0, lora.dropout < 1 else {
            throw TrainingPlanError.invalidValue(field: "lora.dropout", value: "\(lora.dropout)", expected: "a probability in [0, 1)")
        }
        _ = try lora.targetModules.matcher()
        guard lora.ffa == (round.strategy == .ffa) else {
            throw TrainingPlanError.ffaMismatch(ffa: lora.ffa, strategy: round.strategy.rawValue)
        }
        switch (round.strategy, round.strategyOptions.trimFraction) {
        case let (.trimmedMean, fraction?) where fraction > 0 && fraction < 0.5:
            break
        case (.trimmedMean, let fraction):
            throw TrainingPlanError.invalidValue(field: "round.strategy_options.trim_fraction", value: fraction.map { "\($0)" } ?? "absent",
                                                 expected: "a fraction in (0, 0.5) for trimmed-mean")
        case (_, let fraction?):
            throw TrainingPlanError.invalidValue(field: "round.strategy_options.trim_fraction", value: "\(fraction)",
                                                 expected: "absent (only trimmed-mean takes it)")
        case (_, nil):
            break
        }
        if let stepNorm = round.stepNorm { try Self.requirePositive(stepNorm.bound, field: "round.step_norm.bound") }
        try Self.require(round.quorum, atLeast: 1, field: "round.quorum")
        try Self.require(round.deadlineSeconds, atLeast: 1, field: "round.deadline_seconds")
        try Self.require(wire.maximumUploadBytes, atLeast: 1, field: "wire.maximum_upload_bytes")
    }

    private func validateTensors() throws {
        let isTarget = try lora.targetModules.matcher()
        let global = try Self.indexed(tensors.global, field: "tensors.global")
        guard !global.isEmpty else { throw TrainingPlanError.invalidValue(field: "tensors.global", value: "[]", expected: "the adapter's tensors") }
        let objectiveNames = Set(objectives.map(\.name))
        for spec in tensors.global.canonicallyOrdered {
            let field = "tensors.global"
            guard spec.dtype == .F32 else {
                throw TrainingPlanError.dtypeMismatch(field: field, tensor: spec.name, found: spec.dtype.rawValue, expected: "F32 (global adapters are fp32)")
            }
            guard spec.shape.allSatisfy({ $0 >= 1 }) else {
                throw TrainingPlanError.invalidValue(field: "\(field) \(spec.name) shape", value: "\(spec.shape)", expected: "positive extents")
            }
            switch AdapterTensorName(parsing: spec.name) {
            case let .loraA(module)?:
                try checkFactor(spec, field: field, module: module, isTarget: isTarget,
                                partner: global[AdapterTensorName.loraB(modulePath: module).name], isA: true)
            case let .loraB(module)?:
                try checkFactor(spec, field: field, module: module, isTarget: isTarget,
                                partner: global[AdapterTensorName.loraA(modulePath: module).name], isA: false)
            case let .saved(path)?:
                guard Tensors.isSaved(parameterPath: path, modulesToSave: lora.modulesToSave) else {
                    throw TrainingPlanError.unexpectedTensor(field: field, tensor: spec.name,
                                                             reason: "belongs to no module of lora.modules_to_save \(lora.modulesToSave)")
                }
            case let .objective(objective, _)?:
                guard objectiveNames.contains(objective) else {
                    throw TrainingPlanError.unexpectedTensor(field: field, tensor: spec.name, reason: "belongs to objective \(objective), which the plan does not list")
                }
            case nil:
                throw TrainingPlanError.unexpectedTensor(field: field, tensor: spec.name,
                                                         reason: "is neither a PEFT name (base_model.model.…) nor an objective's (tessera.objective.…)")
            }
        }
        let upload = try Self.indexed(tensors.upload, field: "tensors.upload")
        let expected = Tensors.uploaded(global: tensors.global, ffa: lora.ffa, encoding: wire.encoding)
        for spec in expected.canonicallyOrdered {
            guard let found = upload[spec.name] else { throw TrainingPlanError.missingTensor(field: "tensors.upload", tensor: spec.name) }
            guard found.shape == spec.shape else {
                throw TrainingPlanError.shapeMismatch(field: "tensors.upload", tensor: spec.name, found: found.shape, expected: spec.shape)
            }
            guard found.dtype == spec.dtype else {
                throw TrainingPlanError.dtypeMismatch(field: "tensors.upload", tensor: spec.name, found: found.dtype.rawValue,
                                                      expected: "\(spec.dtype.rawValue) (wire.encoding \(wire.encoding.rawValue))")
            }
        }
        let expectedNames = Set(expected.map(\.name))
        if let extra = tensors.upload.canonicallyOrdered.first(where: { !expectedNames.contains($0.name) }) {
            let reason = lora.ffa && global[extra.name] != nil ? "is frozen under FFA and must not be uploaded" : "is not in tensors.global"
            throw TrainingPlanError.unexpectedTensor(field: "tensors.upload", tensor: extra.name, reason: reason)
        }
    }

    /// A LoRA factor: its module is targeted, `A` is `[r, in]`, `B` is `[out, r]`, its partner exists.
    private func checkFactor(_ spec: TensorSpec, field: String, module: String, isTarget: (String) -> Bool,
                             partner: TensorSpec?, isA: Bool) throws {
        guard isTarget(module) else {
            throw TrainingPlanError.unexpectedTensor(field: field, tensor: spec.name,
                                                     reason: "adapts \(module), which lora.target_modules \(lora.targetModules) does not match")
        }
        let partnerName = isA ? AdapterTensorName.loraB(modulePath: module).name : AdapterTensorName.loraA(modulePath: module).name
        guard let partner else { throw TrainingPlanError.missingTensor(field: field, tensor: partnerName) }
        guard spec.shape.count == 2 else {
            throw TrainingPlanError.shapeMismatch(field: field, tensor: spec.name, found: spec.shape,
                                                  expected: isA ? [lora.r, partner.shape.last ?? 0] : [partner.shape.first ?? 0, lora.r])
        }
        let expected = isA ? [lora.r, spec.shape[1]] : [spec.shape[0], lora.r]
        guard spec.shape == expected else {
            throw TrainingPlanError.shapeMismatch(field: field, tensor: spec.name, found: spec.shape, expected: expected)
        }
    }

    private static func indexed(_ specs: [TensorSpec], field: String) throws -> [String: TensorSpec] {
        var index: [String: TensorSpec] = [:]
        for spec in specs {
            guard index.updateValue(spec, forKey: spec.name) == nil else { throw TrainingPlanError.duplicateTensor(field: field, tensor: spec.name) }
        }
        return index
    }

    private static func require(_ value: Int, atLeast minimum: Int, field: String) throws {
        guard value >= minimum else { throw TrainingPlanError.invalidValue(field: field, value: "\(value)", expected: "an integer ≥ \(minimum)") }
    }

    private static func requirePositive(_ value: Double, field: String) throws {
        guard value.isFinite, value > 0 else { throw TrainingPlanError.invalidValue(field: field, value: "\(value)", expected: "a finite number > 0") }
    }

    /// Checks that the tensor lists are exactly those the base model and LoRA fields give (a site
    /// calls this with its own base model before training).
    /// - Throws: ``TrainingPlanError`` naming the first tensor that differs.
    public func validate(against base: BaseModelDescription, objectiveTensors: [TensorSpec] = []) throws {
        let derived = try Tensors.derived(from: base, lora: lora, encoding: wire.encoding, objectiveTensors: objectiveTensors)
        for (field, found, expected) in [("tensors.global", tensors.global, derived.global), ("tensors.upload", tensors.upload, derived.upload)] {
            let foundByName = try Self.indexed(found, field: field)
            for spec in expected {
                guard let match = foundByName[spec.name] else { throw TrainingPlanError.missingTensor(field: field, tensor: spec.name) }
                guard match.shape == spec.shape else {
                    throw TrainingPlanError.shapeMismatch(field: field, tensor: spec.name, found: match.shape, expected: spec.shape)
                }
            }
            let expectedNames = Set(expected.map(\.name))
            if let extra = found.canonicallyOrdered.first(where: { !expectedNames.contains($0.name) }) {
                throw TrainingPlanError.unexpectedTensor(field: field, tensor: extra.name, reason: "the base model and LoRA fields do not give")
            }
        }
    }
}
