import Foundation
import Tensor
import TestSupport
import Testing

struct SoftmaxTests {
    @Test func softmaxIsStableForLargeLogits() {
        let x = Tensor(shape: [2, 3], values: [1000, 1001, 1002, -5, 0, 5])
        let y = x.softmax()
        let expected: [Float] = [0.09003057, 0.24472847, 0.66524096]
        expectClose(Array(y.values.prefix(3)), expected)
        expectClose(x.logSoftmax().values.prefix(3).map { Foundation.exp($0) }, expected)
        #expect(y.values.allSatisfy { $0.isFinite })
    }

    @Test func crossEntropyIgnoresMarkedRowsAndAveragesTheRest() {
        let logits = Tensor(shape: [3, 2], values: [0, 0, 2, 0, 5, 5])
        let loss = logits.crossEntropy(targets: [0, CrossEntropy.ignoreIndex, 1])
        // Both counted rows are uniform over 2 classes: −log ½ each.
        #expect(loss.item.isApproximatelyEqual(to: Float(M_LN2), relativeTolerance: 1e-6))
        #expect(logits.crossEntropy(targets: [-100, -100, -100]).item == 0)
        let skewed = Tensor(shape: [1, 3], values: [1, 2, 3]).crossEntropy(targets: [0])
        // log(e + e² + e³) − 1
        #expect(skewed.item.isApproximatelyEqual(to: 2.4076059644443806, relativeTolerance: 1e-6))
    }

    @Test func softmaxGradientsMatchFiniteDifferences() {
        let x = GradientCheck.random([4, 6], seed: 40, scale: 3)
        expectGradientsMatch("softmax", GradientCheck.check([x]) { $0[0].softmax() })
        expectGradientsMatch("logsoftmax", GradientCheck.check([x]) { $0[0].logSoftmax() })
        expectGradientsMatch("cross-entropy", GradientCheck.check([x]) {
            $0[0].crossEntropy(targets: [5, -100, 0, 3])
        })
    }
}
