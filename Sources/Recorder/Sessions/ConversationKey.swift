import Dialects

/// What makes two requests parts of one logical request when no session header says so: the same
/// conversation, whatever the dialect or model, ignoring a continuation a fallback appended.
public struct ConversationKey: Sendable, Hashable {
    private let digest: Int
    private let turnCount: Int

    /// The key of a request view: its turns without a trailing continuation (an assistant prefill,
    /// or an assistant turn followed by the continuation instruction).
    public init(view: RequestView) {
        var turns = view.turns[...]
        if turns.count >= 2, turns.last?.role == "user", turns.last?.text == continuationInstruction,
            turns[turns.endIndex - 2].role == "assistant"
        {
            turns = turns.dropLast(2)
        } else if turns.last?.role == "assistant" {
            turns = turns.dropLast()
        }
        var hasher = Hasher()
        for turn in turns {
            hasher.combine(turn.role)
            hasher.combine(turn.text)
        }
        self.digest = hasher.finalize()
        self.turnCount = turns.count
    }

    /// The key of a request Tapedeck cannot read: its fingerprint.
    public init(fingerprint: String) {
        var hasher = Hasher()
        hasher.combine(fingerprint)
        self.digest = hasher.finalize()
        self.turnCount = -1
    }
}
