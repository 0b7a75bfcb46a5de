/// The largest `|aᵢ − bᵢ|`, or +∞ when the arrays differ in length or are empty, or when any
/// difference is NaN or infinite: a comparison that cannot pass by accident (`zip` would hide a
/// length mismatch, and `max()` skips a NaN after the first element).
public func largestDifference<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B]) -> Double {
    guard a.count == b.count, !a.isEmpty else { return .infinity }
    var largest = 0.0
    for (x, y) in zip(a, b) {
        let difference = abs(Double(x) - Double(y))
        guard difference.isFinite else { return .infinity }
        largest = max(largest, difference)
    }
    return largest
}
