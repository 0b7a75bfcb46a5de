/// Errors of the tensor engine's numerical routines. (Shape errors inside operations are
/// programming errors and stop with a message naming both shapes; malformed files throw
/// ``SafetensorsError``.)
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// A LAPACK routine reported a failure (`info`) for a matrix of the given shape.
    case lapackFailure(routine: String, info: Int32, shape: [Int])

    public var description: String {
        switch self {
        case let .lapackFailure(routine, info, shape):
            if info > 0 {
                return "\(routine) did not converge on a \(shape) matrix (LAPACK info \(info))"
            }
            return "\(routine) rejected argument \(-info) for a \(shape) matrix (LAPACK info \(info))"
        }
    }
}
