/// Why the privacy guard refused to let an update leave the site. Nothing was sent.
public enum PrivacyGuardError: Error, Equatable, CustomStringConvertible {
    /// The plan's upload list names a tensor that is not an adapter tensor of this site's model.
    case notAnAdapterTensor(tensor: String, reason: String)
    /// The plan asks for a whole module of the base model this site does not let leave.
    case moduleNotAllowed(tensor: String, allowed: [String])
    /// The update holds a tensor the plan's upload list does not name.
    case unexpectedTensor(tensor: String)
    /// The update lacks a tensor of the plan's upload list.
    case missingTensor(tensor: String)
    /// A tensor's shape or dtype differs from the plan's upload list.
    case tensorMismatch(tensor: String, found: String, expected: String)
    /// The update's header is not this site's for this round.
    case headerMismatch(field: String, found: String, expected: String)

    public var description: String {
        let refused = "privacy guard: nothing sent"
        switch self {
        case let .notAnAdapterTensor(tensor, reason):
            return "\(refused): the plan's upload list names \(tensor), which \(reason)"
        case let .moduleNotAllowed(tensor, allowed):
            return "\(refused): the plan asks to upload \(tensor), a whole module of the base model; this site allows only "
                + "\(allowed) ([privacy] modules_to_save in the site configuration)"
        case let .unexpectedTensor(tensor):
            return "\(refused): the update holds \(tensor), which the plan's upload list does not name"
        case let .missingTensor(tensor):
            return "\(refused): the update lacks \(tensor) of the plan's upload list"
        case let .tensorMismatch(tensor, found, expected):
            return "\(refused): tensor \(tensor) is \(found) in the update, the plan says \(expected)"
        case let .headerMismatch(field, found, expected):
            return "\(refused): the update's \(field) is \(found), expected \(expected)"
        }
    }
}
