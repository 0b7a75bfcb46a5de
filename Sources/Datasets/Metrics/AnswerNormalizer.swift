/// The answer normalisation of LLaVA-Med's evaluation (ALGORITHMS.md §6; `normalize_word` in its
/// `eval_metrics/glossary.py`): lower case, punctuation replaced by spaces (a point between digits
/// kept, "1.5"), whitespace collapsed, the number words zero to ten (and "none") written as digits,
/// the articles "a", "an" and "the" dropped; tokens are the words that remain.
public enum AnswerNormalizer {
    /// `text` normalised: "The Nodule, left-side." → "nodule left side".
    public static func normalized(_ text: String) -> String {
        tokens(text).joined(separator: " ")
    }

    /// The words of the normalised text: "Yes, two nodules of 1.5 cm." → ["yes", "2", "nodules", "of", "1.5", "cm"].
    public static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        func finishWord() {
            guard !current.isEmpty else { return }
            let word = numberWords[current] ?? current
            if !articles.contains(word) { tokens.append(word) }
            current = ""
        }
        let characters = Array(text.lowercased())
        for (index, character) in characters.enumerated() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if character == ".", current.last?.isNumber == true, index + 1 < characters.count,
                      characters[index + 1].isNumber {
                current.append(character)
            } else {
                finishWord()
            }
        }
        finishWord()
        return tokens
    }

    private static let numberWords = [
        "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
        "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
    ]
    private static let articles: Set<String> = ["a", "an", "the"]
}
