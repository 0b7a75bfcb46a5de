import Tensor
import TestSupport
import Testing

struct MovementTests {
    @Test func reshapeSharesValuesAndInfersOneExtent() {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let y = x.reshaped([3, -1])
        #expect(y.shape == [3, 2])
        #expect(y.values == x.values)
    }

    @Test func permuteReordersDimensions() {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        #expect(x.transposed().values == [1, 4, 2, 5, 3, 6])
        let cube = Tensor(shape: [2, 2, 2], values: [0, 1, 2, 3, 4, 5, 6, 7])
        let permuted = cube.permuted([2, 0, 1])
        #expect(permuted.shape == [2, 2, 2])
        // permuted[i][j][k] = cube[j][k][i]
        #expect(permuted.values == [0, 2, 4, 6, 1, 3, 5, 7])
    }

    @Test func concatenatesSlicesAndSplits() {
        let a = Tensor(shape: [2, 1], values: [1, 2])
        let b = Tensor(shape: [2, 2], values: [3, 4, 5, 6])
        let joined = Tensor.concatenated([a, b], alongAxis: 1)
        #expect(joined.shape == [2, 3])
        #expect(joined.values == [1, 3, 4, 2, 5, 6])
        #expect(joined.sliced(alongAxis: 1, 1..<3).values == b.values)
        let pieces = joined.split([1, 2], alongAxis: -1)
        #expect(pieces.map(\.values) == [a.values, b.values])
    }

    @Test func gatherPicksRowsAndIndexPutReplacesThem() {
        let table = Tensor(shape: [3, 2], values: [0, 1, 10, 11, 20, 21])
        let rows = table.gatheringRows([2, 0, 2], indexShape: [1, 3])
        #expect(rows.shape == [1, 3, 2])
        #expect(rows.values == [20, 21, 0, 1, 20, 21])
        let replaced = table.puttingRows(Tensor(shape: [1, 2], values: [-1, -2]), at: [1])
        #expect(replaced.values == [0, 1, -1, -2, 20, 21])
    }

    @Test func movementGradientsMatchFiniteDifferences() {
        let x = GradientCheck.random([2, 3, 4], seed: 30)
        let y = GradientCheck.random([2, 2, 4], seed: 31)
        expectGradientsMatch("reshape", GradientCheck.check([x]) { $0[0].reshaped([6, 4]) * $0[0].reshaped([6, 4]) })
        expectGradientsMatch("permute", GradientCheck.check([x]) { $0[0].permuted([1, 2, 0]) })
        expectGradientsMatch("transpose", GradientCheck.check([x]) { $0[0].transposed() })
        expectGradientsMatch("concat", GradientCheck.check([x, y]) { Tensor.concatenated([$0[0], $0[1]], alongAxis: 1) })
        expectGradientsMatch("slice", GradientCheck.check([x]) { $0[0].sliced(alongAxis: 2, 1..<3) })
        expectGradientsMatch("split", GradientCheck.check([x]) {
            let parts = $0[0].split([1, 2], alongAxis: 1)
            return parts[0] * parts[1].sum(alongAxis: 1, keepingDimension: true)
        })
        let table = GradientCheck.random([5, 3], seed: 32)
        expectGradientsMatch("gather", GradientCheck.check([table]) { $0[0].gatheringRows([4, 1, 4, 0]) })
        let replacement = GradientCheck.random([2, 4], seed: 33)
        expectGradientsMatch("index-put", GradientCheck.check([x, replacement]) {
            $0[0].puttingRows($0[1], at: [5, 2])
        })
    }
}
