/// How the samples of one pixel are to be read.
public enum ColorModel: Sendable, Equatable {
    /// One sample per pixel, the minimum value displayed as white (DICOM MONOCHROME1).
    case monochrome1
    /// One sample per pixel, the minimum value displayed as black (DICOM MONOCHROME2, greyscale PNG/JPEG).
    case monochrome2
    /// Two samples per pixel: grey, then alpha (PNG grey + alpha).
    case monochromeAlpha
    /// Three samples per pixel: red, green, blue.
    case rgb
    /// Four samples per pixel: red, green, blue, alpha.
    case rgba

    /// The number of samples each pixel has in this model.
    public var samplesPerPixel: Int {
        switch self {
        case .monochrome1, .monochrome2: 1
        case .monochromeAlpha: 2
        case .rgb: 3
        case .rgba: 4
        }
    }

    /// Whether the model has a single grey sample per pixel (MONOCHROME1 or MONOCHROME2).
    public var isMonochrome: Bool {
        self == .monochrome1 || self == .monochrome2
    }
}
