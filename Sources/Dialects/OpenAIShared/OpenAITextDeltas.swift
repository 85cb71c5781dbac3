/// Splits text into the small pieces a model streams, roughly one token each: a word with its
/// leading space, a run of punctuation, a line break. Synthesized streams use it so they look like
/// real ones (many deltas, not one), and the pieces always concatenate back to the exact text.
enum OpenAITextDeltas {
    /// The longest piece; longer runs (URLs, long numbers, base64) are cut at this length.
    static let maxPieceLength = 12

    static func split(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var previous: CharacterClass?
        for character in text {
            let kind = CharacterClass(character)
            if let previous, !current.isEmpty, startsPiece(kind, after: previous) || current.count >= maxPieceLength {
                pieces.append(current)
                current = ""
            }
            current.append(character)
            previous = kind
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    private enum CharacterClass {
        case space, newline, word, symbol

        init(_ character: Character) {
            if character.isNewline {
                self = .newline
            } else if character.isWhitespace {
                self = .space
            } else if character.isLetter || character.isNumber || character == "'" || character == "’" {
                self = .word
            } else {
                self = .symbol
            }
        }
    }

    /// Spaces start a piece and carry the word after them; words and symbols part ways.
    private static func startsPiece(_ kind: CharacterClass, after previous: CharacterClass) -> Bool {
        switch (previous, kind) {
        case (.space, .space), (.newline, .newline), (.space, .word), (.space, .symbol), (.symbol, .symbol), (.word, .word):
            return false
        default:
            return true
        }
    }
}
