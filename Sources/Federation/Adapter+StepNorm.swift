extension Adapter {
    /// `‖update − self‖₂`, the L2 norm of a site's step from this global adapter, over the tensors
    /// the update carries (under FFA it carries no `lora_A`), accumulated in double precision.
    /// - Throws: ``AggregationError/unexpectedTensor(site:tensor:)`` for a tensor this adapter
    ///   lacks, ``AggregationError/shapeMismatch(site:tensor:found:expected:)``.
    public func stepNorm(of update: SiteUpdate) throws -> Double {
        var squared = 0.0
        for tensor in update.adapter.tensors {
            guard let origin = self[tensor.name] else {
                throw AggregationError.unexpectedTensor(site: update.site, tensor: tensor.name)
            }
            guard origin.shape == tensor.shape else {
                throw AggregationError.shapeMismatch(site: update.site, tensor: tensor.name, found: tensor.shape, expected: origin.shape)
            }
            for index in tensor.values.indices {
                let difference = Double(tensor.values[index]) - Double(origin.values[index])
                squared += difference * difference
            }
        }
        return squared.squareRoot()
    }
}
