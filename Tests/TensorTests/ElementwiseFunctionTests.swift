import Tensor
import TestSupport
import Testing

struct ElementwiseFunctionTests {
    static let inputs: [Float] = [-2, -0.5, 0, 0.7, 3]

    /// Values computed with Python's math module (float64), rounded to float32.
    @Test func activationsMatchReferenceValues() {
        let x = Tensor(shape: [5], values: Self.inputs)
        expectClose(x.activated(.gelu).values,
                    [-0.04550026389635842, -0.15426876936299344, 0, 0.5306254434438489, 2.99595030590511])
        expectClose(x.activated(.geluTanh).values,
                    [-0.04540230591222494, -0.15428599017485606, 0, 0.5305701347051167, 2.996362607918227])
        expectClose(x.activated(.quickGELU).values,
                    [-0.06434137685579186, -0.1496115633936199, 0, 0.5368939517231501, 2.981928690292214])
        expectClose(x.activated(.silu).values,
                    [-0.2384058440442351, -0.1887703343990727, 0, 0.46773144051771626, 2.8577223804672998])
        expectClose(x.logSigmoid().values,
                    [-2.1269280110429727, -0.9740769841801067, -0.6931471805599453, -0.4031860488854579, -0.04858735157374206])
    }

    @Test func logSigmoidStaysFiniteForLargeInputs() {
        let x = Tensor(shape: [2], values: [-200, 200])
        #expect(x.logSigmoid().values == [-200, 0])
        #expect(x.sigmoid().values == [0, 1])
    }

    @Test func elementwiseGradientsMatchFiniteDifferences() {
        let x = GradientCheck.random([3, 7], seed: 3, scale: 2)
        let positive = GradientCheck.random([3, 7], seed: 4, scale: 0.5, offset: 1.5)
        expectGradientsMatch("exp", GradientCheck.check([x]) { $0[0].exp() })
        expectGradientsMatch("log", GradientCheck.check([positive]) { $0[0].log() })
        expectGradientsMatch("sqrt", GradientCheck.check([positive]) { $0[0].sqrt() })
        expectGradientsMatch("pow", GradientCheck.check([positive]) { $0[0].pow(2.5) })
        expectGradientsMatch("tanh", GradientCheck.check([x]) { $0[0].tanh() })
        expectGradientsMatch("sigmoid", GradientCheck.check([x]) { $0[0].sigmoid() })
        expectGradientsMatch("logsigmoid", GradientCheck.check([x]) { $0[0].logSigmoid() })
        // Clamp bounds away from the sampled points, where the derivative jumps.
        expectGradientsMatch("clamp", GradientCheck.check([x]) { $0[0].clamped(to: -0.9...0.95) })
        for activation in Activation.allCases {
            expectGradientsMatch(activation.rawValue, GradientCheck.check([x]) { $0[0].activated(activation) })
        }
        let up = GradientCheck.random([3, 7], seed: 5)
        expectGradientsMatch("swiglu", GradientCheck.check([x, up]) { Tensor.swiGLU(gate: $0[0], up: $0[1]) })
    }

    /// The same on 60,033 elements: two chunks of the kernels' parallel split (32,768 each) and an
    /// odd width, so the chunked forward and backward paths training runs meet finite differences
    /// too (49 elements checked, one in 1,250, across both chunks).
    @Test func elementwiseGradientsMatchAcrossParallelChunks() {
        let x = GradientCheck.random([3, 20_011], seed: 6, scale: 2)
        let up = GradientCheck.random([3, 20_011], seed: 7)
        expectGradientsMatch("exp", GradientCheck.check([x], maximumElements: 48) { $0[0].exp() })
        expectGradientsMatch("tanh", GradientCheck.check([x], maximumElements: 48) { $0[0].tanh() })
        for activation in Activation.allCases {
            expectGradientsMatch(activation.rawValue, GradientCheck.check([x], maximumElements: 48) { $0[0].activated(activation) })
        }
        expectGradientsMatch("swiglu", GradientCheck.check([x, up], maximumElements: 48) { Tensor.swiGLU(gate: $0[0], up: $0[1]) })
    }

    @Test func readsActivationNamesAsHuggingFaceWritesThem() {
        #expect(Activation(huggingFaceName: "quick_gelu") == .quickGELU)
        #expect(Activation(huggingFaceName: "gelu") == .gelu)
        #expect(Activation(huggingFaceName: "silu") == .silu)
        #expect(Activation(huggingFaceName: "relu6") == nil)
    }
}
