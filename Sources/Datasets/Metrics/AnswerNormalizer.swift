/// The answer normalisation of LLaVA-Med's evaluation (ALGORITHMS.md §6): lower case, punctuation
/// replaced by spaces, whitespace collapsed; tokens are the words that remain.
public enum AnswerNormalizer {
    /// `text` normalised: "The Nodule, left-side." → "the nodule left side".
    public static func normalized(_ text: String) -> String {
        tokens(text).joined(separator: " ")
    }

    /// The words of the normalised text: "Yes, 2 nodules." → ["yes", "2", "nodules"].
    public static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if !current.isEmpty {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }
}
