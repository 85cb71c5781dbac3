/// Helpers for streams and bodies Tapedeck synthesizes: deterministic ids and delta-sized text
/// pieces, so the same outcome always gives the same bytes.
enum SynthesisPieces {
    /// A deterministic base-62 token derived from a seed, for message and response ids.
    static func token(seed: String, length: Int = 20) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in seed.utf8 { state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        var token = ""
        for _ in 0..<length {
            // splitmix64 steps spread the one seed hash over every character.
            state &+= 0x9e37_79b9_7f4a_7c15
            var mixed = (state ^ (state >> 30)) &* 0xbf58_476d_1ce4_e5b9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
            mixed ^= mixed >> 31
            token.append(alphabet[Int(mixed % UInt64(alphabet.count))])
        }
        return token
    }

    /// Splits text into pieces that join back to exactly the same text, the way providers cut
    /// deltas: a piece ends before the word that would exceed `wordsPerPiece` words, or at
    /// `maxCharacters` characters inside a long word.
    static func split(_ text: String, wordsPerPiece: Int, maxCharacters: Int) -> [String] {
        var pieces: [String] = []
        var current = ""
        var length = 0
        var words = 0
        var previousWasSpace = false
        for character in text {
            let startsWord = previousWasSpace && !character.isWhitespace
            if (startsWord && (words >= wordsPerPiece || length >= maxCharacters)) || length >= maxCharacters {
                pieces.append(current)
                current = ""
                length = 0
                words = 0
            }
            if character.isWhitespace && !previousWasSpace && length > 0 { words += 1 }
            current.append(character)
            length += 1
            previousWasSpace = character.isWhitespace
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }
}
