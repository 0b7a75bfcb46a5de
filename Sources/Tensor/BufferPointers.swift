extension UnsafeBufferPointer {
    /// The address of the first element, for C calls (BLAS). Kernels call it on non-empty buffers
    /// only; an empty one is a programming error.
    @inline(__always) var start: UnsafePointer<Element> {
        guard let baseAddress else { preconditionFailure("kernel called on an empty buffer") }
        return baseAddress
    }
}

extension UnsafeMutableBufferPointer {
    /// The address of the first element, for C calls (BLAS). Kernels call it on non-empty buffers
    /// only; an empty one is a programming error.
    @inline(__always) var start: UnsafeMutablePointer<Element> {
        guard let baseAddress else { preconditionFailure("kernel called on an empty buffer") }
        return baseAddress
    }
}
