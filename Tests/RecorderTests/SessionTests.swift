import Cassettes
import Recorder
import Testing

@Suite("Sessions")
struct SessionTests {
    static func answer(_ request: UpstreamRequest, _ responder: UpstreamResponder) async throws {
        let body = #"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#
        let failing = request.text.contains("primary-model")
        try await responder.head(failing ? .serviceUnavailable : .ok, [
            ("content-type", "application/json"), ("content-length", "\(body.utf8.count)"),
        ])
        try await responder.send(body)
        try await responder.end()
    }

    @Test("the session header names the session of every interaction that carries it")
    func byHeader() async throws {
        let harness = try await RecorderHarness(script: Self.answer)
        defer { harness.remove() }
        for conversation in ["one", "two"] {
            _ = try await harness.send(
                "/v1/chat/completions", body: #"{"model":"m","messages":[{"role":"user","content":"\#(conversation)"}]}"#,
                headers: [("content-type", "application/json"), ("X-Tapedeck-Session", "incident-42")])
        }
        let recorded = try await harness.finish()
        #expect(recorded.map(\.sessionID) == ["incident-42", "incident-42"])
    }

    @Test("without a header a failed attempt, its fallback to another model and a continuation share a session; another conversation does not")
    func byConversation() async throws {
        let harness = try await RecorderHarness(script: Self.answer)
        defer { harness.remove() }
        let bodies = [
            #"{"model":"primary-model","messages":[{"role":"user","content":"Write a haiku"}],"stream":false}"#,
            #"{"model":"fallback-model","messages":[{"role":"user","content":"Write a haiku"}],"stream":false}"#,
            #"{"model":"fallback-model","messages":[{"role":"user","content":"Write a haiku"},{"role":"assistant","content":"Autumn"}]}"#,
            #"{"model":"fallback-model","messages":[{"role":"user","content":"Something else"}]}"#,
        ]
        for body in bodies { _ = try await harness.send("/v1/chat/completions", body: body) }
        let recorded = try await harness.finish()
        #expect(recorded.count == 4)
        let sessions = recorded.map(\.sessionID)
        #expect(recorded.first?.ending == .httpError)
        #expect(sessions[0] != nil)
        #expect(sessions[0] == sessions[1])
        #expect(sessions[1] == sessions[2])
        #expect(sessions[3] != sessions[0])
    }
}
