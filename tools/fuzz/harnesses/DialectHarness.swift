// libFuzzer harness for one dialect's decoders (chosen at build time with -D DIALECT_…).
// The first input byte picks the entry point: a stream, a body with a status, a request, or an
// error body; the rest is the payload. Decoded outcomes are synthesized back too.
import Dialects
import SSE

#if DIALECT_OPENAI_CHAT
let codec: any DialectCodec = OpenAIChatCodec()
let requestPath = "/v1/chat/completions"
#elseif DIALECT_OPENAI_RESPONSES
let codec: any DialectCodec = OpenAIResponsesCodec()
let requestPath = "/v1/responses"
#elseif DIALECT_ANTHROPIC_MESSAGES
let codec: any DialectCodec = AnthropicMessagesCodec()
let requestPath = "/v1/messages"
#else
let codec: any DialectCodec = GeminiCodec()
let requestPath = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
#endif

let statuses: [Int?] = [nil, 200, 400, 401, 404, 429, 500, 503, 529]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let selector = data[0]
    let payload = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let outcome: Outcome
    switch selector % 4 {
    case 0:
        let frames = SSEParser.parse(payload)
        outcome = codec.outcome(fromFrames: frames)
        let events = frames.compactMap(\.event)
        for event in events {
            _ = codec.isTerminator(event)
            _ = codec.classify(inBand: event)
        }
        _ = codec.inBandErrorEvent(kind: .overloaded, message: nil, after: events)
        _ = Dialect.detect(frames: frames)
    case 1:
        outcome = codec.outcome(fromBody: payload, status: statuses[Int(selector / 4) % statuses.count])
    case 2:
        guard let body = try? JSONValue.parse(payload) else { return 0 }
        _ = codec.requestView(body: body, path: requestPath)
        for style in ContinuationStyle.allCases {
            _ = JSONWriter.bytes(codec.continuationRequest(original: body, partialText: "partial", style: style))
        }
        return 0
    default:
        _ = codec.classify(status: statuses[Int(selector / 4) % statuses.count] ?? 500, body: payload)
        return 0
    }
    // Decoding never amplifies: a bounded number of choices, text no longer than the input.
    let text = outcome.choices.reduce(0) { $0 + $1.unicodeScalars.count }
    guard outcome.choices.count <= 128, text <= payload.count else { fatalError("outcome larger than its input") }
    var success = outcome
    success.error = nil
    _ = codec.streamBytes(for: success)
    _ = JSONWriter.bytes(codec.body(for: success))
    return 0
}
