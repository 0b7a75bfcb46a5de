/// One finding of a study: its type and the attributes the image shows.
public struct Finding: Sendable, Equatable, Codable {
    /// The patient's side (see ``FindingType`` for the image convention).
    public enum Side: String, CaseIterable, Sendable, Codable {
        case left, right

        /// The other side.
        public var opposite: Side { self == .left ? .right : .left }
    }

    /// The upper or lower part of the organ or field.
    public enum Region: String, CaseIterable, Sendable, Codable {
        case upper, lower

        /// The other region.
        public var opposite: Region { self == .upper ? .lower : .upper }
    }

    /// The size class; the measured size is drawn from ``FindingType``'s range for the class.
    public enum SizeClass: String, CaseIterable, Sendable, Codable {
        case small, large

        /// The other class.
        public var opposite: SizeClass { self == .small ? .large : .small }
    }

    /// What the finding is.
    public let type: FindingType
    /// The side, when the type has one.
    public let side: Side?
    /// The region, when the type has one.
    public let region: Region?
    /// The size class, when the type has a size.
    public let sizeClass: SizeClass?
    /// The largest diameter (extent for effusions and pneumothoraces) in the modality's unit.
    public let size: Int?
    /// The number of lesions (1 for types that are not countable).
    public let count: Int

    /// Creates a finding; attributes the type does not carry must be `nil`.
    public init(type: FindingType, side: Side?, region: Region?, sizeClass: SizeClass?, size: Int?, count: Int) {
        self.type = type
        self.side = side
        self.region = region
        self.sizeClass = sizeClass
        self.size = size
        self.count = count
    }
}
