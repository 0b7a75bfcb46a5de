import Foundation

/// Token ids of words already merged, keyed by the word's bytes, shared by all copies of a tokenizer.
///
/// Keys are bytes rather than `String`s because Swift compares strings by canonical equivalence:
/// "é" as U+00E9 and as "e" + U+0301 are equal strings but different byte sequences with different
/// tokens. Like HF's BPE cache it holds at most `capacity` words and stops adding when full, so
/// memory stays bounded on large corpora while frequent words (met early) stay cached.
final class BPEWordCache: @unchecked Sendable {  // `entries` is guarded by `lock`.
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int]] = [:]
    private let capacity: Int

    /// A cache of at most `capacity` words (HF's default is 10 000).
    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The ids cached for `word`, if any.
    func ids(for word: [UInt8]) -> [Int]? {
        lock.withLock { entries[word] }
    }

    /// Remembers `ids` for `word` unless the cache is full or the word is 256 bytes or longer (as
    /// HF's `MAX_LENGTH`: long words are rare and would pin their bytes for the tokenizer's life).
    func store(_ ids: [Int], for word: [UInt8]) {
        guard word.count < 256 else { return }
        lock.withLock {
            if entries.count < capacity {
                entries[word] = ids
            }
        }
    }
}
