import Tensor

/// Central finite-difference checks of reverse-mode gradients, shared by every test target.
///
/// The checked scalar is `L = Σ rᵢ yᵢ` with fixed random weights `r` (so every output element
/// matters), computed in Double. For each input element `x_j`:
/// `numeric = (L(x_j + h) − L(x_j − h)) / 2h`, compared with the analytic `dL/dx_j` from
/// `backward(seed: r)`. In float32 with `h = 1e-2` on O(1) inputs the truncation error is
/// O(h²) ≈ 1e-4 and the rounding error ≈ 1e-7·|L|/h, so the default tolerance is
/// `|numeric − analytic| ≤ 2e-3 + 2e-2·|analytic|`.
public enum GradientCheck {
    /// One input's result: the largest absolute error and the element where it occurred.
    public struct Report: CustomStringConvertible {
        public let input: Int
        public let maximumError: Double
        public let worstElement: Int
        public let passed: Bool
        public var description: String {
            "input \(input): max |numeric − analytic| = \(maximumError) at element \(worstElement)"
        }
    }

    /// Checks the gradient of `function` with respect to each of `inputs` (all set to require
    /// gradients). `function` must be deterministic: it is re-run for every perturbation.
    public static func check(_ inputs: [Tensor], step: Float = 1e-2, absoluteTolerance: Double = 2e-3,
                             relativeTolerance: Double = 2e-2, maximumElements: Int = 64,
                             _ function: ([Tensor]) -> Tensor) -> [Report] {
        for input in inputs {
            input.requiresGradient = true
            input.zeroGradient()
        }
        let output = function(inputs)
        var generator = SeededGenerator(seed: 1234, stream: 99)
        let weights = (0..<output.count).map { _ in generator.uniform() * 2 - 1 }
        output.backward(seed: weights)

        func loss() -> Double {
            let y = Autograd.withoutRecording { function(inputs) }
            return zip(y.values, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }

        return inputs.enumerated().map { index, input in
            let analytic = input.grad ?? [Float](repeating: 0, count: input.count)
            // Check every element of small inputs, an even spread of large ones.
            let stride = Swift.max(1, input.count / maximumElements)
            var worst = (error: 0.0, element: 0)
            var passed = true
            for element in Swift.stride(from: 0, to: input.count, by: stride) {
                let original = input.values[element]
                input.values[element] = original + step
                let plus = loss()
                input.values[element] = original - step
                let minus = loss()
                input.values[element] = original
                let numeric = (plus - minus) / (2 * Double(step))
                // A NaN on either side is an error of +∞: it fails, and shows as the worst.
                let difference = abs(numeric - Double(analytic[element]))
                let error = difference.isNaN ? Double.infinity : difference
                if error > worst.error { worst = (error, element) }
                if !(error <= absoluteTolerance + relativeTolerance * abs(Double(analytic[element]))) { passed = false }
            }
            return Report(input: index, maximumError: worst.error, worstElement: worst.element, passed: passed)
        }
    }

    /// Random values in `[-scale, scale)` from a fixed seed.
    public static func random(_ shape: [Int], seed: UInt64, scale: Float = 1, offset: Float = 0) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(shape: shape, values: (0..<shape.elementCount).map { _ in (generator.uniform() * 2 - 1) * scale + offset })
    }
}
