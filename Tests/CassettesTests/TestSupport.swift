import Cassettes
import Dialects
import Foundation

/// Builders for realistic interactions and scratch files.
enum Sample {
    static let start = Date(timeIntervalSince1970: 1_750_000_000.123456)

    static func openAIStream(id: String = "ix-openai", words: [String] = ["Hello", " there", "!"], model: String = "gpt-4o-mini",
                             at date: Date = start, tags: [String] = []) -> Interaction {
        var frames: [Frame] = []
        func chunk(_ delta: String, finish: String = "null") -> String {
            "data: {\"id\":\"chatcmpl-\(id)\",\"object\":\"chat.completion.chunk\",\"created\":1750000000,\"model\":\"\(model)-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":\(delta),\"logprobs\":null,\"finish_reason\":\(finish)}]}\n\n"
        }
        frames.append(Frame(offsetMicros: 310_000, bytes: Array(chunk("{\"role\":\"assistant\",\"content\":\"\"}").utf8)))
        for (index, word) in words.enumerated() {
            frames.append(Frame(offsetMicros: 330_000 + Int64(index) * 21_000, bytes: Array(chunk("{\"content\":\"\(word)\"}").utf8)))
        }
        frames.append(Frame(offsetMicros: 400_000 + Int64(words.count) * 21_000, bytes: Array(chunk("{}", finish: "\"stop\"").utf8)))
        frames.append(Frame(offsetMicros: 401_000 + Int64(words.count) * 21_000, bytes: Array("data: [DONE]\n\n".utf8)))
        let body = "{\"model\":\"\(model)\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}],\"stream\":true}"
        return Interaction(
            id: id, recordedAt: date, dialect: .openAIChat, provider: "openai", endpoint: "/v1/chat/completions",
            model: model, stream: true,
            request: RecordedRequest(method: "POST", target: "/v1/chat/completions",
                                     headers: [HTTPField("content-type", "application/json"), HTTPField("authorization", "[REDACTED]")],
                                     body: Array(body.utf8)),
            response: ResponseHead(status: 200, headers: [HTTPField("content-type", "text/event-stream; charset=utf-8")], offsetMicros: 290_000),
            content: .frames(frames), ending: .complete, durationMicros: 402_000 + Int64(words.count) * 21_000, tags: tags)
    }

    static func anthropicStream(id: String = "ix-anthropic", text: String = "Hi!", at date: Date = start) -> Interaction {
        let events: [(String, String)] = [
            ("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}"),
            ("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"),
            ("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\(text)\"}}"),
            ("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"),
            ("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":4}}"),
            ("message_stop", "{\"type\":\"message_stop\"}"),
        ]
        let frames = events.enumerated().map { index, event in
            Frame(offsetMicros: 500_000 + Int64(index) * 30_000, bytes: Array("event: \(event.0)\ndata: \(event.1)\n\n".utf8))
        }
        let body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":256,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}"
        return Interaction(
            id: id, recordedAt: date, dialect: .anthropicMessages, provider: "anthropic", endpoint: "/v1/messages",
            model: "claude-sonnet-4-5", stream: true,
            request: RecordedRequest(method: "POST", target: "/v1/messages",
                                     headers: [HTTPField("content-type", "application/json"), HTTPField("anthropic-version", "2023-06-01")],
                                     body: Array(body.utf8)),
            response: ResponseHead(status: 200, headers: [HTTPField("content-type", "text/event-stream")], offsetMicros: 480_000),
            content: .frames(frames), ending: .complete, durationMicros: 700_000, sessionID: "incident-7")
    }

    static func rateLimited(id: String = "ix-429", at date: Date = start) -> Interaction {
        let body = "{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}"
        return Interaction(
            id: id, recordedAt: date, dialect: .openAIChat, provider: "openai", endpoint: "/v1/chat/completions",
            model: "gpt-4o-mini", stream: false,
            request: RecordedRequest(method: "POST", target: "/v1/chat/completions", headers: [HTTPField("content-type", "application/json")],
                                     body: Array("{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}".utf8)),
            response: ResponseHead(status: 429, headers: [HTTPField("content-type", "application/json"), HTTPField("retry-after", "2")], offsetMicros: 80_000),
            content: .body(Array(body.utf8)), ending: .httpError, durationMicros: 81_000, tags: ["errors"])
    }

    /// A reset before any response head: no status, no body.
    static func resetBeforeHeaders(id: String = "ix-reset", at date: Date = start) -> Interaction {
        Interaction(
            id: id, recordedAt: date, dialect: .gemini, provider: "gemini",
            endpoint: "/v1beta/models/gemini-2.5-flash:streamGenerateContent", model: "gemini-2.5-flash", stream: true,
            request: RecordedRequest(method: "POST", target: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                                     headers: [], body: Array("{\"contents\":[]}".utf8)),
            response: nil, content: .frames([]), ending: .reset, durationMicros: 5_000)
    }
}

