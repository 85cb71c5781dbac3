import Dialects
import Recorder
import Testing

@Suite("Session grouping")
struct SessionGrouperTests {
    static let base = ContinuousClock.now
    static func at(_ seconds: Double) -> ContinuousClock.Instant { base + .milliseconds(Int64(seconds * 1000)) }

    static func key(_ turns: [(String, String)]) -> ConversationKey {
        ConversationKey(view: RequestView(
            dialect: .openAIChat, endpoint: "/v1/chat/completions", model: "m", stream: true,
            turns: turns.map { ChatTurn(role: $0.0, text: $0.1) }))
    }

    final class Counter: @unchecked Sendable {
        var value = 0
        func next() -> String {
            value += 1
            return "s\(value)"
        }
    }

    @Test("the same conversation within the window after the last interaction ended joins its session")
    func window() {
        var grouper = SessionGrouper(window: .seconds(30))
        let ids = Counter()
        let conversation = Self.key([("user", "Hi")])
        #expect(grouper.session(key: conversation, header: nil, start: Self.at(0), end: Self.at(60), newID: ids.next) == "s1")
        // Starts 29 s after the first one ended: a fallback, same session.
        #expect(grouper.session(key: conversation, header: nil, start: Self.at(89), end: Self.at(90), newID: ids.next) == "s1")
        // 31 s after the last activity: a new session.
        #expect(grouper.session(key: conversation, header: nil, start: Self.at(121), end: Self.at(122), newID: ids.next) == "s2")
        // Another conversation at the same time: its own session.
        #expect(grouper.session(key: Self.key([("user", "Bye")]), header: nil, start: Self.at(121), end: Self.at(122), newID: ids.next) == "s3")
    }

    @Test("a session header names the session whatever the conversation")
    func header() {
        var grouper = SessionGrouper()
        let id = grouper.session(key: Self.key([("user", "Hi")]), header: "incident-9", start: Self.at(0), end: Self.at(1))
        #expect(id == "incident-9")
        #expect(grouper.openCount == 0)
    }

    @Test("a continuation a fallback appended keeps the conversation's key; other changes do not")
    func continuationKeys() {
        let original = Self.key([("system", "Be brief"), ("user", "Tell a story")])
        #expect(Self.key([("system", "Be brief"), ("user", "Tell a story"), ("assistant", "Once upon")]) == original)
        #expect(Self.key([("system", "Be brief"), ("user", "Tell a story"), ("assistant", "Once upon"),
                          ("user", continuationInstruction)]) == original)
        #expect(Self.key([("system", "Be brief"), ("user", "Tell a joke")]) != original)
        #expect(ConversationKey(fingerprint: "abc") != ConversationKey(fingerprint: "abd"))
    }
}
