import Foundation

/// The record of how a tensor was computed: its inputs and the rule that turns the output's
/// gradient into the inputs' gradients.
final class GradientFunction {
    /// The operation's name, for profiles.
    let operation: String
    /// The tensors the operation read, in the order its backward rule expects.
    let inputs: [Tensor]
    /// Adds the operation's vector-Jacobian product into `inputs`' gradients, given the output's
    /// gradient (same layout as the output's values). Captures what the forward cached for it.
    let backward: (_ outputGradient: [Float]) -> Void

    init(operation: String, inputs: [Tensor], backward: @escaping (_ outputGradient: [Float]) -> Void) {
        self.operation = operation
        self.inputs = inputs
        self.backward = backward
    }
}

/// Reverse-mode automatic differentiation: when operations are recorded, and the backward pass.
public enum Autograd {
    /// Whether operations record gradient functions (true unless inside ``withoutRecording(_:)``).
    @TaskLocal public static var isRecording = true

    /// Runs `body` without recording (inference, optimizer updates, evaluation).
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        try $isRecording.withValue(false, operation: body)
    }
}

extension Tensor {
    /// Makes `output` the result of a recorded operation on `inputs`, when any of them requires a
    /// gradient and recording is on; otherwise leaves it a constant. Returns `output`. Every
    /// operation calls it when its forward work is done (the profiler's clock).
    @discardableResult
    func recorded(operation: String, from inputs: [Tensor], backward: @escaping (_ outputGradient: [Float]) -> Void) -> Tensor {
        if Profiler.shared.isEnabled { Profiler.shared.recordForward(operation) }
        guard Autograd.isRecording, inputs.contains(where: \.requiresGradient) else { return self }
        requiresGradient = true
        gradientFunction = GradientFunction(operation: operation, inputs: inputs, backward: backward)
        return self
    }

    /// Computes the gradient of this tensor with respect to every tensor it was computed from that
    /// requires one, adding it into their `grad`.
    ///
    /// The output's own gradient is seeded with ones (for a loss, a scalar: d loss/d loss = 1).
    /// Intermediate gradients and the graph are released afterwards, as PyTorch does, so a second
    /// `backward()` through the same graph does nothing; leaves keep their accumulated `grad`.
    public func backward() {
        backward(seed: [Float](repeating: 1, count: values.count))
    }

    /// The backward pass with an explicit output gradient (same layout as `values`).
    public func backward(seed: [Float]) {
        precondition(seed.count == values.count, "seed has \(seed.count) values for shape \(shape)")
        guard gradientFunction != nil || requiresGradient else { return }
        accumulateGradient(seed)
        let profiling = Profiler.shared.isEnabled
        for tensor in topologicallySorted().reversed() {
            guard let function = tensor.gradientFunction else { continue }
            if let gradient = tensor.grad {
                let start = profiling ? DispatchTime.now().uptimeNanoseconds : 0
                function.backward(gradient)
                if profiling {
                    Profiler.shared.recordBackward(function.operation, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
            }
            // Intermediate results keep neither their gradient nor their inputs alive.
            tensor.grad = nil
            tensor.gradientFunction = nil
        }
    }

    /// Every recorded tensor this one depends on (itself included), inputs before outputs.
    private func topologicallySorted() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: model graphs are deep enough to overflow a recursive one.
        var stack: [(tensor: Tensor, inputsPushed: Bool)] = [(self, false)]
        while let (tensor, inputsPushed) = stack.popLast() {
            if inputsPushed {
                order.append(tensor)
                continue
            }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradientFunction?.inputs ?? [] where input.gradientFunction != nil {
                if !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
            }
        }
        return order
    }
}
