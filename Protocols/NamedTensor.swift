/// A tensor's values under its wire name: what a ``DeltaContainer`` holds.
/// `values` are row-major, `values.count == Π shape`.
public struct NamedTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}
