import CZstd

/// The zstd frames of delta containers: one frame, level 3, with the content size in the frame
/// header and a content checksum (XXH64, checked by the decoder), single-threaded so the output
/// is a function of the input and the libzstd version.
///
/// Decompression refuses a bomb twice: the declared content size must be at most `limit` before
/// any byte is inflated, and the stream may never produce more than it declared. The window is
/// capped at 2²⁴ bytes (level 3 uses at most 2²¹), so a hostile frame cannot ask for more memory.
enum Zstd {
    static let compressionLevel: Int32 = 3
    static let maximumWindowLog: Int32 = 24
    // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are macros: (0ULL - 1) and (0ULL - 2).
    private static let contentSizeUnknown = UInt64.max
    private static let contentSizeError = UInt64.max - 1

    /// One zstd frame holding `bytes`.
    /// - Throws: ``DeltaContainerError/compressionFailed(reason:)`` with zstd's error name.
    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        guard let context = ZSTD_createCCtx() else { throw DeltaContainerError.compressionFailed(reason: "ZSTD_createCCtx returned NULL") }
        defer { ZSTD_freeCCtx(context) }
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, compressionLevel), "set the compression level")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "enable the content checksum")
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1), "enable the content size")
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = output.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                ZSTD_compress2(context, target.baseAddress, target.count, source.baseAddress, source.count)
            }
        }
        try check(written, "compress")
        output.removeSubrange(written...)
        return output
    }

    /// The content of the single zstd frame `compressed`, streamed through `ZSTD_decompressStream`.
    /// - Parameters:
    ///   - limit: the most bytes the content may have.
    ///   - source: the container's name in errors.
    /// - Throws: ``DeltaContainerError``: `notZstd`, `contentSizeMissing`, `trailingBytes`,
    ///   `tooLarge`, `exceedsDeclaredSize`, `truncated` or `decompressionFailed`.
    static func decompress(_ compressed: UnsafeRawBufferPointer, limit: Int, source: String) throws -> [UInt8] {
        var content: [UInt8] = []
        try decompress(compressed, limit: limit, source: source, into: &content)
        return content
    }

    /// As ``decompress(_:limit:source:)``, into `content`, whose memory is reused when it is
    /// large enough (resized to the declared size; zero-filled only when its size changes).
    static func decompress(_ compressed: UnsafeRawBufferPointer, limit: Int, source: String, into content: inout [UInt8]) throws {
        guard let base = compressed.baseAddress, compressed.count > 0 else {
            throw DeltaContainerError.notZstd(file: source, reason: "the body is empty")
        }
        let declared = ZSTD_getFrameContentSize(base, compressed.count)
        switch declared {
        case contentSizeError: throw DeltaContainerError.notZstd(file: source, reason: "no zstd frame header (magic 28 b5 2f fd)")
        case contentSizeUnknown: throw DeltaContainerError.contentSizeMissing(file: source)
        default: break
        }
        guard declared <= UInt64(limit) else {
            throw DeltaContainerError.tooLarge(file: source, declaredBytes: Int(clamping: declared), limit: limit)
        }
        let frameBytes = ZSTD_findFrameCompressedSize(base, compressed.count)
        if ZSTD_isError(frameBytes) != 0 {
            throw DeltaContainerError.decompressionFailed(file: source, zstdError: errorName(frameBytes))
        }
        guard frameBytes == compressed.count else {
            throw DeltaContainerError.trailingBytes(file: source, frameBytes: frameBytes, totalBytes: compressed.count)
        }

        guard let context = ZSTD_createDCtx() else {
            throw DeltaContainerError.decompressionFailed(file: source, zstdError: "ZSTD_createDCtx returned NULL")
        }
        defer { ZSTD_freeDCtx(context) }
        let parameterResult = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, maximumWindowLog)
        if ZSTD_isError(parameterResult) != 0 {
            throw DeltaContainerError.decompressionFailed(file: source, zstdError: errorName(parameterResult))
        }
        let declaredBytes = Int(declared)
        if content.count != declaredBytes {
            content.removeAll(keepingCapacity: true)
            content.append(contentsOf: repeatElement(0, count: declaredBytes))
        }
        // Output goes to `content` until it is full, then to `overflow`: any byte there means the
        // frame produces more than it declared.
        var overflow = [UInt8](repeating: 0, count: 1)
        var input = ZSTD_inBuffer(src: base, size: compressed.count, pos: 0)
        var produced = 0
        var finished = false
        try content.withUnsafeMutableBytes { target in
            try overflow.withUnsafeMutableBytes { spill in
                while !finished {
                    let full = produced == declaredBytes
                    var output = full ? ZSTD_outBuffer(dst: spill.baseAddress, size: spill.count, pos: 0)
                                      : ZSTD_outBuffer(dst: target.baseAddress.map { $0 + produced }, size: declaredBytes - produced, pos: 0)
                    let inputBefore = input.pos
                    let hint = ZSTD_decompressStream(context, &output, &input)
                    if ZSTD_isError(hint) != 0 {
                        throw DeltaContainerError.decompressionFailed(file: source, zstdError: errorName(hint))
                    }
                    if full && output.pos > 0 { throw DeltaContainerError.exceedsDeclaredSize(file: source, declaredBytes: declaredBytes) }
                    produced += full ? 0 : output.pos
                    finished = hint == 0
                    // No progress on either side: the input ended before the frame did.
                    if !finished && output.pos == 0 && input.pos == inputBefore {
                        throw DeltaContainerError.truncated(file: source, producedBytes: produced, declaredBytes: declaredBytes)
                    }
                }
            }
        }
        guard produced == declaredBytes else {
            throw DeltaContainerError.truncated(file: source, producedBytes: produced, declaredBytes: declaredBytes)
        }
    }

    private static func check(_ result: Int, _ operation: String) throws {
        if ZSTD_isError(result) != 0 {
            throw DeltaContainerError.compressionFailed(reason: "zstd could not \(operation): \(errorName(result))")
        }
    }

    private static func errorName(_ result: Int) -> String {
        guard let name = ZSTD_getErrorName(result) else { return "error \(result)" }
        return String(cString: name)
    }
}
