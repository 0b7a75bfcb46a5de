/// The ranked merges of a BPE model, and the merge loop that applies them to one word.
///
/// A word starts as one symbol per byte. The loop keeps the symbols in a doubly linked list over
/// arrays and the candidate merges in a min-heap keyed by (rank, position), so the lowest-ranked pair
/// merges first and equal ranks merge left to right: O(n log n) per word instead of GPT-2's
/// O(n²) rescans. Same order and same staleness test as HF `tokenizers` (`models/bpe/word.rs`,
/// `Word::merge_all`).
struct BPEMergeTable: Sendable {
    /// The merges in rank order: merge `r` joins `pairs[r].left` and `pairs[r].right` into `pairs[r].merged`.
    let pairs: [(left: Int, right: Int, merged: Int)]
    /// `rank << 32 | merged` for each pair, keyed by `left << 32 | right`.
    private let rankedMerges: [UInt64: UInt64]

    /// A table of `pairs`, ranked by their order. When a pair appears twice, the last rank wins, as
    /// in HF (`BpeBuilder` collects the merges into a map, later entries replacing earlier ones).
    init(pairs: [(left: Int, right: Int, merged: Int)]) {
        self.pairs = pairs
        var rankedMerges: [UInt64: UInt64] = [:]
        rankedMerges.reserveCapacity(pairs.count)
        for (rank, pair) in pairs.enumerated() {
            rankedMerges[Self.key(pair.left, pair.right)] = UInt64(rank) << 32 | UInt64(pair.merged)
        }
        self.rankedMerges = rankedMerges
    }

    /// The merges of `symbols` (token ids, one per byte), applied until no ranked pair is left.
    func merged(_ symbols: [Int]) -> [Int] {
        guard symbols.count > 1 else { return symbols }
        var ids = symbols
        var previous = Array(-1..<(symbols.count - 1))
        var next = Array(1...symbols.count)
        next[symbols.count - 1] = -1
        var alive = [Bool](repeating: true, count: symbols.count)
        // Entries are `rank << 32 | position`, so the heap pops the lowest rank, then the leftmost.
        var heap = MinHeap<UInt64>()
        for position in 0..<(symbols.count - 1) {
            if let merge = rankedMerges[Self.key(ids[position], ids[position + 1])] {
                heap.insert(merge & 0xFFFF_FFFF_0000_0000 | UInt64(position))
            }
        }
        while let entry = heap.popMinimum() {
            let rank = Int(entry >> 32)
            let position = Int(entry & 0xFFFF_FFFF)
            let right = next[position]
            // Skip entries made stale by an earlier merge: the pair at `position` must still make this token.
            guard alive[position], right >= 0,
                let merge = rankedMerges[Self.key(ids[position], ids[right])],
                Int(merge & 0xFFFF_FFFF) == pairs[rank].merged
            else { continue }
            ids[position] = pairs[rank].merged
            alive[right] = false
            next[position] = next[right]
            if next[right] >= 0 {
                previous[next[right]] = position
            }
            if previous[position] >= 0, let merge = rankedMerges[Self.key(ids[previous[position]], ids[position])] {
                heap.insert(merge & 0xFFFF_FFFF_0000_0000 | UInt64(previous[position]))
            }
            if next[position] >= 0, let merge = rankedMerges[Self.key(ids[position], ids[next[position]])] {
                heap.insert(merge & 0xFFFF_FFFF_0000_0000 | UInt64(position))
            }
        }
        var result: [Int] = []
        var position = 0
        while position >= 0 {
            result.append(ids[position])
            position = next[position]
        }
        return result
    }

    /// The dictionary key of the pair (`left`, `right`): `left << 32 | right`.
    static func key(_ left: Int, _ right: Int) -> UInt64 {
        UInt64(left) << 32 | UInt64(right)
    }
}
