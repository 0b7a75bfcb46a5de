import Tensor
import Testing

struct OptimizerTests {
    /// Under a constant gradient, bias correction makes every AdamW step `lr·g/(|g| + ε)` after the
    /// decoupled decay `θ·(1 − lr·λ)`.
    @Test func adamWFollowsPyTorchsFormula() {
        let theta = Tensor(shape: [2], values: [1, -2], requiresGradient: true, name: "w")
        let optimizer = AdamW(parameters: [theta], weightDecay: 0.1)
        var expected: [Double] = [1, -2]
        let g: [Double] = [0.5, -3]
        for _ in 0..<3 {
            theta.zeroGradient()
            (theta * Tensor(shape: [2], values: g.map(Float.init))).sum().backward()
            optimizer.update(learningRate: 0.01)
            for i in 0..<2 {
                expected[i] *= 1 - 0.01 * 0.1
                expected[i] -= 0.01 * g[i] / (abs(g[i]) + 1e-8)
            }
        }
        #expect(optimizer.step == 3)
        for i in 0..<2 { #expect(abs(Double(theta.values[i]) - expected[i]) < 1e-6) }
    }

    @Test func sgdWithMomentumFollowsPyTorchsFormula() {
        let theta = Tensor(shape: [1], values: [1], requiresGradient: true)
        let optimizer = SGD(parameters: [theta], momentum: 0.9)
        for _ in 0..<2 {
            theta.zeroGradient()
            (theta * 2).sum().backward()
            optimizer.update(learningRate: 0.1)
        }
        // b₁ = 2, b₂ = 0.9·2 + 2 = 3.8: θ = 1 − 0.2 − 0.38.
        #expect(abs(theta.values[0] - 0.42) < 1e-6)
    }

    @Test func optimizerStateRoundTripsThroughSafetensors() throws {
        let theta = Tensor(shape: [3], values: [1, 2, 3], requiresGradient: true, name: "layer.weight")
        let optimizer = AdamW(parameters: [theta])
        theta.accumulateGradientForTest([0.1, -0.2, 0.3])
        optimizer.update(learningRate: 0.1)
        let bytes = optimizer.state.encoded()
        let restored = AdamW(parameters: [theta])
        try restored.restore(OptimizerState(decoding: SafetensorsFile(data: .init(bytes), source: "state")))
        #expect(restored.state == optimizer.state)
        #expect(restored.step == 1)
    }

    @Test func restoringStateForOtherParametersFailsWithTheMissingName() throws {
        let saved = AdamW(parameters: [Tensor(zeros: [2], name: "a")]).state
        let other = AdamW(parameters: [Tensor(zeros: [2], name: "b")])
        #expect(throws: OptimizerState.Error.missingTensor(name: "b.exp_avg")) { try other.restore(saved) }
        let resized = AdamW(parameters: [Tensor(zeros: [3], name: "a")])
        #expect(throws: OptimizerState.Error.wrongSize(name: "a.exp_avg", found: 2, expected: 3)) { try resized.restore(saved) }
    }

    @Test func cosineScheduleWarmsUpThenDecaysToZero() {
        let schedule = LearningRateSchedule.cosine(warmupSteps: 10, totalSteps: 110)
        #expect(schedule.factor(atStep: 0) == 0)
        #expect(schedule.factor(atStep: 5) == 0.5)
        #expect(schedule.factor(atStep: 10) == 1)
        #expect(abs(schedule.factor(atStep: 60) - 0.5) < 1e-6)
        #expect(schedule.factor(atStep: 110) < 1e-6)
        #expect(LearningRateSchedule.constant(warmupSteps: 4).factor(atStep: 100) == 1)
    }

    @Test func clipsTheGlobalNormOnlyWhenItIsExceeded() {
        let a = Tensor(shape: [1], values: [0], requiresGradient: true)
        let b = Tensor(shape: [1], values: [0], requiresGradient: true)
        a.accumulateGradientForTest([3])
        b.accumulateGradientForTest([4])
        #expect(GradientClipping.clipGlobalNorm(of: [a, b], to: 10) == 5)
        #expect(a.grad == [3])
        #expect(GradientClipping.clipGlobalNorm(of: [a, b], to: 1) == 5)
        #expect(abs((a.grad?[0] ?? 0) - 0.6) < 1e-6 && abs((b.grad?[0] ?? 0) - 0.8) < 1e-6)
    }
}

extension Tensor {
    /// Sets a gradient directly, through a backward pass of `Σ g ⊙ x`.
    func accumulateGradientForTest(_ gradient: [Float]) {
        (self * Tensor(shape: shape, values: gradient)).sum().backward()
    }
}
