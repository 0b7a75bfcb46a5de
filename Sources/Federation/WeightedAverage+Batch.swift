extension WeightedAverage {
    /// Adds updates held in memory together: each tensor is walked in chunks of
    /// ``AggregationKernels/chunkElements`` and every update's matching chunk is added while that
    /// chunk of the sum stays in L1, so the inputs are read once and the sums written once. The
    /// sums are those of adding the updates one by one in the same order, bit for bit.
    ///
    /// Finiteness is checked on each finished chunk of the sum rather than on every input (NaN or
    /// ±Inf in any input makes the sum non-finite, since every weight is finite); only then are
    /// the inputs searched, to name the culprit.
    /// - Throws: as ``add(_:)-(SiteUpdate)``. Unlike `add`, a throw may leave sums partly
    ///   updated: the strategies call this on a fresh average and drop it on error.
    mutating func addInOnePass(_ updates: [SiteUpdate]) throws {
        guard mode == .updates else {
            for update in updates { try add(update) }
            return
        }
        for update in updates { try check(update) }
        let weights = updates.map { Float($0.sampleCount) }
        for (position, tensor) in global.tensors.enumerated() where !frozen.contains(tensor.name) {
            // Array references only (copy-on-write): no values are copied.
            let inputs = updates.map { $0.adapter[tensor.name]?.values ?? [] }
            try sums[position].withUnsafeMutableBufferPointer { sum in
                for start in stride(from: 0, to: sum.count, by: AggregationKernels.chunkElements) {
                    let chunk = start..<min(start + AggregationKernels.chunkElements, sum.count)
                    let sumChunk = UnsafeMutableBufferPointer(rebasing: sum[chunk])
                    for (input, weight) in zip(inputs, weights) {
                        input.withUnsafeBufferPointer { x in
                            AggregationKernels.accumulate(UnsafeBufferPointer(rebasing: x[chunk]), weight: weight, into: sumChunk)
                        }
                    }
                    guard let overflow = AggregationKernels.firstNonFinite(UnsafeBufferPointer(sumChunk)) else { continue }
                    for (input, update) in zip(inputs, updates) {
                        if let index = input.withUnsafeBufferPointer({ AggregationKernels.firstNonFinite(UnsafeBufferPointer(rebasing: $0[chunk])) }) {
                            throw AggregationError.nonFiniteValue(site: update.site, tensor: tensor.name, index: start + index,
                                                                  value: AggregationError.text(of: input[start + index]))
                        }
                    }
                    throw AggregationError.nonFiniteResult(tensor: tensor.name, index: start + overflow)
                }
            }
        }
        for update in updates {
            contributions.append(AggregationReport.Contribution(site: update.site, sampleCount: update.sampleCount, weight: nil,
                                                                stepNorm: nil, clipped: false))
            totalSampleCount += update.sampleCount
        }
    }
}
