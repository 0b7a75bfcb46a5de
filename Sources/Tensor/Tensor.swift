/// A float32 N-d tensor, row-major and contiguous, that records the operations applied to it for
/// reverse-mode automatic differentiation (define-by-run, as PyTorch does).
///
/// A tensor is a reference: parameters are updated in place by optimizers and their `grad`
/// accumulates across backward passes until ``zeroGradient()``. Values are stored in a Swift array,
/// so a ``reshaped(_:)`` view shares them without a copy until one side is written.
///
/// An operation on tensors of which at least one ``requiresGradient`` records a
/// ``GradientFunction`` on its output while ``Autograd/isRecording`` is true; ``backward()`` walks
/// those records from the output back to the leaves, each adding its share into its inputs'
/// gradients (`+=`, so an input used twice gets both contributions).
public final class Tensor {
    /// The extent of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The elements in row-major order; `values.count == shape.elementCount`.
    public var values: [Float]
    /// The accumulated gradient of the last `backward()` target with respect to this tensor,
    /// same layout as `values`; `nil` until a backward pass reaches it.
    public internal(set) var grad: [Float]?
    /// Whether gradients flow to this tensor. Setting it to false freezes a parameter.
    public var requiresGradient: Bool
    /// The checkpoint name of a parameter (e.g. HF's `language_model.model.norm.weight`).
    public var name: String?
    /// How this tensor was computed; `nil` for leaves and for tensors computed without recording.
    var gradientFunction: GradientFunction?

    /// Creates a tensor from values in row-major order.
    /// - Precondition: `values.count` equals the product of `shape` (a programming error otherwise).
    public init(shape: [Int], values: [Float], requiresGradient: Bool = false, name: String? = nil) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(values.count == shape.elementCount,
                     "\(values.count) values for shape \(shape) (\(shape.elementCount) elements)")
        self.shape = shape
        self.values = values
        self.requiresGradient = requiresGradient
        self.name = name
    }

    /// A tensor of zeros.
    public convenience init(zeros shape: [Int], requiresGradient: Bool = false, name: String? = nil) {
        self.init(shape: shape, values: [Float](repeating: 0, count: shape.elementCount),
                  requiresGradient: requiresGradient, name: name)
    }

    /// A tensor filled with one value.
    public convenience init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, values: [Float](repeating: value, count: shape.elementCount))
    }

    /// A scalar (shape `[]`).
    public convenience init(scalar: Float) {
        self.init(shape: [], values: [scalar])
    }

    /// The number of elements.
    @inlinable public var count: Int { values.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The only element of a one-element tensor (a loss, typically).
    /// - Precondition: the tensor has exactly one element.
    public var item: Float {
        precondition(values.count == 1, "item of a tensor of shape \(shape)")
        return values[0]
    }

    /// Whether this tensor was produced by a recorded operation (so it is not a leaf).
    public var isRecorded: Bool { gradientFunction != nil }

    /// The same values, cut from the graph: gradients do not flow through it.
    public func detached() -> Tensor {
        Tensor(shape: shape, values: values)
    }

    /// Forgets the accumulated gradient.
    public func zeroGradient() {
        grad = nil
    }

    /// Storage for `count` values that a kernel overwrites completely before anyone reads it (a GEMM
    /// with `beta = 0`): skips the zero fill, which costs as much as a small GEMM.
    static func uninitializedValues(count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Adds `contribution` into the gradient, allocating it on first use (into the shard's own
    /// buffer while a ``DataParallel`` shard's backward pass collects this tensor's gradient).
    func accumulateGradient(_ contribution: [Float]) {
        if let sink = GradientSink.current, let slot = sink.slot(of: self) {
            sink.accumulate(contribution, slot: slot)
            return
        }
        if grad == nil {
            grad = contribution
            return
        }
        withGradient { gradient in
            contribution.withUnsafeBufferPointer { source in
                Parallel.forEachChunk(gradient.count, chunk: Parallel.elementChunk) { range in
                    let (gradient, source) = (gradient, source)
                    for i in range { gradient[i] += source[i] }
                }
            }
        }
    }

    /// Gives a kernel write access to the gradient (allocated as zeros on first use), so that it can
    /// accumulate into it directly (BLAS with `beta = 1`, scatter-adds) with no temporary.
    func withGradient<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if let sink = GradientSink.current, let slot = sink.slot(of: self) {
            return try sink.withGradient(slot: slot, count: values.count, body)
        }
        // Moving the array out keeps it uniquely referenced, so writing it never copies.
        var gradient = grad ?? [Float](repeating: 0, count: values.count)
        grad = nil
        defer { grad = gradient }
        // The buffer is passed by value (its subscript writes through): an `inout` buffer would be
        // reloaded on every access and keep the kernels' loops from vectorising.
        return try gradient.withUnsafeMutableBufferPointer { buffer in try body(buffer) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = values.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape)\(name.map { ", \($0)" } ?? ""): [\(preview)\(values.count > 8 ? ", …" : "")])"
    }
}
