/// One data element of a parsed data set: its tag, VR and where its value lies in the file.
struct DICOMElement: Sendable {
    /// Where an element's value lies in the file's bytes.
    enum Value: Sendable {
        /// A value of defined length, wholly inside the file.
        case bytes(Range<Int>)
        /// Native pixel data whose declared length runs past the end of the file: what is there.
        case truncated(Range<Int>, declaredLength: Int)
        /// Encapsulated pixel data: an offset table and fragments (PS3.5 A.4).
        case encapsulated(EncapsulatedPixelData)
    }

    /// The element's tag.
    let tag: DICOMTag
    /// The value representation, e.g. `US`; `nil` in Implicit VR transfer syntaxes.
    let vr: String?
    /// The offset of the element's first byte (its tag) in the file.
    let offset: Int
    /// Where the value lies.
    let value: Value
}
