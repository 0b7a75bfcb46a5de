import Tensor

/// A medical image file of any supported format (PNG, JPEG or DICOM), recognised by its bytes, not
/// its name: PNG by its 8-byte signature, JPEG by `FF D8 FF`, DICOM by "DICM" at byte 128.
public struct ImageFile: Sendable {
    /// The file formats recognised.
    public enum Format: String, Sendable {
        case png = "PNG"
        case jpeg = "JPEG"
        case dicom = "DICOM"
    }

    /// The path it was read from.
    public let path: String
    /// The detected format.
    public let format: Format
    /// The DICOM attributes, for DICOM files.
    public let dicom: DICOMFile?
    /// The stored pixels, every frame.
    public let image: DecodedImage

    /// Reads and decodes the file at `path`.
    /// - Throws: `DatasetError.unreadableFile`, `.unsupportedImageFormat` (naming the first bytes), or
    ///   `.imageDecoding` with the decoder's ``DataError``.
    public init(contentsOf path: String) throws(DatasetError) {
        let bytes = try DatasetFile.bytes(at: path)
        self.path = path
        do {
            if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
                format = .png
                dicom = nil
                image = try PNGDecoder.decode(bytes, file: path)
            } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
                format = .jpeg
                dicom = nil
                image = try JPEGDecoder.decode(bytes, file: path)
            } else if bytes.count >= 132, Array(bytes[128..<132]) == Array("DICM".utf8) {
                format = .dicom
                let file = try DICOMReader.read(bytes: bytes, file: path)
                dicom = file
                image = try file.decodedImage()
            } else {
                let head = bytes.prefix(8).map { byte in
                    let hex = String(byte, radix: 16)
                    return hex.count == 1 ? "0" + hex : hex
                }.joined(separator: " ")
                throw DatasetError.unsupportedImageFormat(file: path, found: head.isEmpty ? "nothing (empty file)" : head)
            }
        } catch let error as DataError {
            throw .imageDecoding(error)
        } catch let error as DatasetError {
            throw error
        } catch {
            throw .unreadableFile(file: path, reason: "\(error)")
        }
    }

    /// Whether the file carries a modality rescale (DICOM Rescale Slope or Intercept).
    public var hasRescale: Bool { dicom?.rescaleSlope != nil || dicom?.rescaleIntercept != nil }

    /// Frame `frame` as an 8-bit image for display and for the model: DICOM grey frames go, after the
    /// rescale, through the file's VOI LUT, else its window with its VOI LUT Function, else a linear
    /// window spanning the frame's rescaled range (pydicom's `apply_voi_lut` order, the LUT preferred),
    /// and MONOCHROME1 is inverted; 16-bit PNG keeps its top 8 bits; 8-bit images pass through.
    /// - Throws: `DatasetError.imageDecoding` for a frame out of range or an unsupported layout.
    public func displayImage(frame: Int = 0) throws(DatasetError) -> DecodedImage {
        do {
            let single = try frameImage(frame)
            if let dicom, single.colorModel.isMonochrome {
                let slope = dicom.rescaleSlope ?? 1, intercept = dicom.rescaleIntercept ?? 0
                let display: DecodedImage
                if let lut = dicom.voiLUT {
                    display = try single.lookedUp(through: lut, slope: slope, intercept: intercept)
                } else if let center = dicom.windowCenter, let width = dicom.windowWidth, dicom.voiLUTFunction.accepts(width: width) {
                    display = try single.windowed(center: center, width: width, slope: slope, intercept: intercept,
                                                  function: dicom.voiLUTFunction)
                } else {
                    let values = single.rescaledValues(slope: slope, intercept: intercept)
                    let low = Double(values.min() ?? 0), high = Double(values.max() ?? 1)
                    guard low.isFinite, high.isFinite else {
                        throw DataError.unusableImage(file: path, reason: "Rescale Slope \(slope) and Intercept \(intercept) take the pixel values "
                                                      + "beyond float32's range")
                    }
                    display = try single.windowed(center: (low + high) / 2 + 0.5, width: max(high - low + 1, 1),
                                                  slope: slope, intercept: intercept)
                }
                return display.colorModel == .monochrome1 ? display.inverted() : display
            }
            switch single.samples {
            case .uint8: return single
            case .uint16(let values):
                let shift = max(single.bitsStored - 8, 0)
                return try DecodedImage(rows: single.rows, columns: single.columns, colorModel: single.colorModel,
                                        samples: .uint8(values.map { UInt8(truncatingIfNeeded: min(Int($0) >> shift, 255)) }))
            case .int8, .int16:
                throw DataError.unusableImage(file: path, reason: "signed \(single.colorModel) samples have no display mapping "
                                              + "(a VOI window maps grey DICOM images only)")
            }
        } catch let error as DataError {
            switch error {
            case .unsupportedImageLayout, .invalidWindow, .sampleCountMismatch:  // the cases that do not name a file
                throw .imageDecoding(.unusableImage(file: path, reason: error.description))
            default:
                throw .imageDecoding(error)
            }
        } catch {
            throw .unreadableFile(file: path, reason: "\(error)")
        }
    }

    /// One frame of `image` with its own geometry.
    private func frameImage(_ frame: Int) throws(DataError) -> DecodedImage {
        guard (0..<image.frames).contains(frame) else {
            throw .frameOutOfRange(file: path, frame: frame, frameCount: image.frames)
        }
        guard image.frames > 1 else { return image }
        let perFrame = image.rows * image.columns * image.samplesPerPixel
        let range = frame * perFrame..<(frame + 1) * perFrame
        let samples: PixelSamples = switch image.samples {
        case .uint8(let values): .uint8(Array(values[range]))
        case .int8(let values): .int8(Array(values[range]))
        case .uint16(let values): .uint16(Array(values[range]))
        case .int16(let values): .int16(Array(values[range]))
        }
        return try DecodedImage(rows: image.rows, columns: image.columns, colorModel: image.colorModel,
                                bitsStored: image.bitsStored, samples: samples)
    }

    /// The safetensors tensors of the decoded pixels: `pixels` (stored values, own dtype) and, when the
    /// file has rescale tags, `hu` (Float32 after `slope · x + intercept`). Shape rows × columns
    /// [× samples] for one frame, frames × rows × columns [× samples] for several (pydicom's layout).
    public var safetensorsEntries: [Safetensors.Entry] {
        var shape = image.frames > 1 ? [image.frames, image.rows, image.columns] : [image.rows, image.columns]
        if image.samplesPerPixel > 1 { shape.append(image.samplesPerPixel) }
        let pixels: Safetensors.Entry = switch image.samples {
        case .uint8(let values): .init(name: "pixels", dtype: .U8, shape: shape, bytes: values)
        case .int8(let values): .init(name: "pixels", dtype: .I8, shape: shape, bytes: values.map { UInt8(bitPattern: $0) })
        case .uint16(let values): .init(name: "pixels", dtype: .U16, shape: shape, bytes: values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        case .int16(let values):
            .init(name: "pixels", dtype: .I16, shape: shape,
                  bytes: values.flatMap { [UInt8(UInt16(bitPattern: $0) & 0xFF), UInt8(UInt16(bitPattern: $0) >> 8)] })
        }
        guard hasRescale, let dicom else { return [pixels] }
        let hu = image.rescaledValues(slope: dicom.rescaleSlope ?? 1, intercept: dicom.rescaleIntercept ?? 0)
        return [pixels, .float32(name: "hu", shape: shape, values: hu)]
    }
}
