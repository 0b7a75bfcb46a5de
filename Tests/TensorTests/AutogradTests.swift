import Foundation
import Tensor
import TestSupport
import Testing

struct AutogradTests {
    @Test func recordsNothingWithoutRecordingOrWithoutTrainableInputs() {
        let w = Tensor(shape: [2], values: [1, 2], requiresGradient: true)
        let y = Autograd.withoutRecording { w * w }
        #expect(!y.isRecorded && !y.requiresGradient)
        let constant = Tensor(shape: [2], values: [1, 2])
        #expect(!(constant * constant).isRecorded)
        #expect((w * constant).isRecorded)
    }

    @Test func detachedAndFrozenTensorsGetNoGradient() {
        let a = Tensor(shape: [2], values: [1, 2], requiresGradient: true)
        let frozen = Tensor(shape: [2], values: [3, 4], requiresGradient: false, name: "frozen")
        (a.detached() * a + frozen * a).sum().backward()
        // d/da [stop(a)·a + f·a] = stop(a) + f.
        #expect(a.grad == [4, 6])
        #expect(frozen.grad == nil)
    }

    @Test func accumulatesGradientsAcrossBackwardPassesUntilZeroed() {
        let w = Tensor(shape: [1], values: [2], requiresGradient: true)
        (w * 3).sum().backward()
        (w * 5).sum().backward()
        #expect(w.grad == [8])
        w.zeroGradient()
        #expect(w.grad == nil)
    }

    @Test func backwardReleasesTheGraph() {
        let w = Tensor(shape: [1], values: [2], requiresGradient: true)
        let hidden = w * w
        let loss = (hidden * 3).sum()
        loss.backward()
        #expect(!loss.isRecorded && !hidden.isRecorded)
        #expect(hidden.grad == nil)
        #expect(w.grad == [12])
    }

    /// A deep chain does not overflow the stack in the topological sort.
    @Test func handlesDeepGraphs() {
        let w = Tensor(shape: [1], values: [1], requiresGradient: true)
        var x = w
        for _ in 0..<20_000 { x = x * 1.0001 }
        x.sum().backward()
        #expect(abs((w.grad?[0] ?? 0) - Float(pow(1.0001, 20_000.0))) < 1e-2)
    }

    /// Two runs of a small training loop from one seed give bit-identical parameters.
    @Test func trainingIsBitIdenticalAcrossRuns() {
        func train() -> [[Float]] {
            var generator = SeededGenerator(seed: 2024)
            let w1 = Tensor(shape: [16, 8], values: (0..<128).map { _ in generator.normal() * 0.3 }, requiresGradient: true, name: "w1")
            let w2 = Tensor(shape: [4, 16], values: (0..<64).map { _ in generator.normal() * 0.3 }, requiresGradient: true, name: "w2")
            let optimizer = AdamW(parameters: [w1, w2])
            for step in 0..<20 {
                let x = Tensor(shape: [32, 8], values: (0..<256).map { _ in generator.normal() })
                let targets = (0..<32).map { _ in Int(generator.nextWord() % 4) }
                var dropoutGenerator = SeededGenerator(seed: 7, stream: UInt64(step))
                let hidden = x.linear(weight: w1).activated(.silu).dropout(probability: 0.1, generator: &dropoutGenerator)
                let loss = hidden.linear(weight: w2).crossEntropy(targets: targets)
                w1.zeroGradient()
                w2.zeroGradient()
                loss.backward()
                GradientClipping.clipGlobalNorm(of: [w1, w2], to: 1)
                optimizer.update(learningRate: 0.01 * LearningRateSchedule.cosine(warmupSteps: 2, totalSteps: 20).factor(atStep: step))
            }
            return [w1.values, w2.values]
        }
        let first = train(), second = train()
        #expect(first.map { $0.map(\.bitPattern) } == second.map { $0.map(\.bitPattern) })
    }
}

struct BLASTests {
    @Test func prefersAVX512KernelOnlyWhenOpenBLASFellBack() {
        let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"]
        #expect(BLAS.preferredCoreType(currentKernel: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLAS.preferredCoreType(currentKernel: "Prescott", cpuFlags: ["avx2", "fma"]) == "Haswell")
        #expect(BLAS.preferredCoreType(currentKernel: "Prescott", cpuFlags: ["sse3"]) == nil)
        #expect(BLAS.preferredCoreType(currentKernel: "Zen", cpuFlags: avx512) == nil)
    }

    @Test func restartSettingsFillOnlyWhatTheEnvironmentLacks() {
        let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"]
        #expect(BLAS.missingSettings(environment: [:], currentKernel: "Prescott", cpuFlags: avx512)
                == ["OPENBLAS_CORETYPE": "SkylakeX", "OPENBLAS_THREAD_TIMEOUT": "18"])
        #expect(BLAS.missingSettings(environment: [:], currentKernel: "Haswell", cpuFlags: avx512)
                == ["OPENBLAS_THREAD_TIMEOUT": "18"])
        // What the user set stands, so a restarted process (which has both) never restarts again.
        #expect(BLAS.missingSettings(environment: ["OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_THREAD_TIMEOUT": "28"],
                                     currentKernel: "Prescott", cpuFlags: avx512).isEmpty)
    }
}
