import COpenSSL

/// OpenSSL memory BIOs: how PEM and DER bytes go into and out of OpenSSL's readers and writers.
enum MemoryBIO {
    /// Runs `body` with a read-only BIO over `bytes`, freed afterwards.
    static func reading<Result>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> Result) throws -> Result {
        try bytes.withUnsafeBytes { buffer in
            guard let count = Int32(exactly: buffer.count),
                  let bio = BIO_new_mem_buf(buffer.baseAddress, count)
            else {
                throw SecurityError.openSSLFailure(operation: "create a memory BIO", openSSL: .drain())
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Runs `write` on an empty memory BIO and returns what it wrote.
    ///
    /// - Parameters:
    ///   - operation: what the write does, for the error ("write a certificate as PEM").
    ///   - write: calls an OpenSSL writer (`PEM_write_bio_X509`…) and tells whether it succeeded.
    /// - Throws: `SecurityError.openSSLFailure` if the writer fails.
    static func written(operation: String, _ write: (OpaquePointer) -> Bool) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw SecurityError.openSSLFailure(operation: "create a memory BIO", openSSL: .drain())
        }
        defer { BIO_free(bio) }
        guard write(bio) else {
            throw SecurityError.openSSLFailure(operation: operation, openSSL: .drain())
        }
        var data: UnsafeMutablePointer<CChar>?
        let count = tessera_BIO_get_mem_data(bio, &data)
        guard count >= 0 else {
            throw SecurityError.openSSLFailure(operation: operation, openSSL: .drain())
        }
        guard let data, count > 0 else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: count) {
            Array(UnsafeBufferPointer(start: $0, count: count))
        }
    }

    /// `written` as UTF-8 text, for PEM.
    static func writtenText(operation: String, _ write: (OpaquePointer) -> Bool) throws -> String {
        String(decoding: try written(operation: operation, write), as: UTF8.self)
    }
}
