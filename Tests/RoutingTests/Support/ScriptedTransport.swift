import Dialects
import Foundation
import SSE

@testable import Routing

/// A deterministic stand-in for an LLM: it always means to say `answer`, and when a request asks it
/// to continue a partial answer (prefill, or assistant turn + continuation instruction) it says the
/// rest of `answer` after that partial text, the way a well-behaved fallback would.
struct FakeModel: Sendable {
    var name: String
    var answer: String
    var toolCalls: [ToolCall] = []

    /// What this model answers to a request, in the request's dialect.
    func reply(to request: UpstreamRequest) -> Outcome {
        let view = Self.view(of: request)
        let partial = Self.partialToContinue(view) ?? ""
        let text = answer.hasPrefix(partial) ? String(answer.dropFirst(partial.count)) : answer
        let inputTokens = view.turns.reduce(0) { $0 + 4 + $1.text.split(separator: " ").count }
        let outputTokens = max(1, text.split(separator: " ").count) + toolCalls.count * 5
        return Outcome(
            dialect: request.dialect, model: name, text: text, toolCalls: toolCalls,
            finishReason: toolCalls.isEmpty ? .stop : .toolCalls,
            usage: Usage(inputTokens: inputTokens, outputTokens: outputTokens), terminated: true)
    }

    static func view(of request: UpstreamRequest) -> RequestView {
        let body = (try? JSONValue.parse(request.body)) ?? [:]
        let path = URL(string: request.url)?.path ?? request.url
        return request.dialect.codec.requestView(body: body, path: path)
    }

    /// The partial answer a continuation request carries, if it is one.
    static func partialToContinue(_ view: RequestView) -> String? {
        if view.endsWithAssistantPrefill { return view.prefillText }
        let turns = view.turns
        if turns.count >= 2, turns[turns.count - 1].role == "user", turns[turns.count - 1].text == continuationInstruction,
            turns[turns.count - 2].role == "assistant"
        {
            return turns[turns.count - 2].text
        }
        return nil
    }
}

/// What one upstream call does, following the replay server's fault table: each fault has a
/// stream shape and a non-stream shape.
enum UpstreamBehaviour: Sendable, Hashable {
    /// The complete answer.
    case answer
    /// An HTTP error before any byte of the answer.
    case httpError(ErrorKind, retryAfter: Int? = nil)
    /// Stream: `afterEvents` events, then the dialect's in-band error. Body: the HTTP error that kind means.
    case inBandError(ErrorKind, afterEvents: Int)
    /// Stream: `afterEvents` events, then the connection closes. Body: cut mid-way.
    case cut(afterEvents: Int)
    /// Stream: `afterEvents` events, then a TCP reset. Body: half of it, then a reset.
    case reset(afterEvents: Int)
    /// Stream: `afterEvents` events, then silence for `seconds`. Body: silence after the head.
    case stall(afterEvents: Int, seconds: Int)
    /// Stream: event `atEvent` is invalid JSON. Body: invalid JSON.
    case malformed(atEvent: Int)
    /// Stream: everything but the terminator. Body: complete.
    case dropTerminator
    /// A reset before any response.
    case resetBeforeHeaders
}

/// A step of a scripted exchange.
private enum Step: Sendable {
    case event(UpstreamEvent)
    /// Advance the clock by this much, then say nothing more until cancelled.
    case stall(Duration)
}

/// Upstreams by deployment id: each call takes the deployment's next behaviour (then `.answer`
/// forever), answers as its `FakeModel`, and a deployment that rejects prefill answers 400 to
/// any request ending with an assistant turn, as newer Claude models do.
final class ScriptedTransport: UpstreamTransport, @unchecked Sendable {
    struct Upstream: Sendable {
        var model: FakeModel
        var behaviours: [UpstreamBehaviour] = []
        var rejectsPrefill = false
    }

    let clock: ManualRouterClock
    private let lock = NSLock()
    private var upstreams: [String: Upstream]
    private var sent: [UpstreamRequest] = []

    init(clock: ManualRouterClock, upstreams: [String: Upstream]) {
        self.clock = clock
        self.upstreams = upstreams
    }

    /// Every request sent, in order.
    var requests: [UpstreamRequest] { lock.withLock { sent } }

    func send(_ request: UpstreamRequest) -> UpstreamEvents {
        let (upstream, behaviour): (Upstream?, UpstreamBehaviour) = lock.withLock {
            sent.append(request)
            guard var upstream = upstreams[request.deploymentID] else { return (nil, .answer) }
            let behaviour = upstream.behaviours.isEmpty ? .answer : upstream.behaviours.removeFirst()
            upstreams[request.deploymentID] = upstream
            return (upstream, behaviour)
        }
        guard let upstream else { return UpstreamEvents([.failure(.connection)]) }
        let steps = Self.steps(for: request, upstream: upstream, behaviour: behaviour)
        return Self.events(steps, clock: clock)
    }

    private static func steps(for request: UpstreamRequest, upstream: Upstream, behaviour: UpstreamBehaviour) -> [Step] {
        let codec = request.dialect.codec
        if upstream.rejectsPrefill && FakeModel.view(of: request).endsWithAssistantPrefill {
            return httpError(codec, .prefillRejected, retryAfter: nil)
        }
        let outcome = upstream.model.reply(to: request)
        let events = codec.streamEvents(for: outcome)
        let encoded = events.map { codec.encoder.encode($0) }
        let body = JSONWriter.bytes(codec.body(for: outcome))
        let okHead = Step.event(.head(status: 200, headers: [HTTPField("content-type", request.stream ? "text/event-stream" : "application/json")]))
        func frames(_ range: Range<Int>) -> [Step] {
            encoded[range.clamped(to: encoded.indices)].map { .event(.frame($0)) }
        }
        let half = Array(body.prefix(body.count / 2))

        switch behaviour {
        case .answer:
            return request.stream ? [okHead] + frames(0..<encoded.count) + [.event(.end)] : [okHead, .event(.body(body)), .event(.end)]
        case .httpError(let kind, let retryAfter):
            return httpError(codec, kind, retryAfter: retryAfter)
        case .inBandError(let kind, let after):
            guard request.stream else { return httpError(codec, kind, retryAfter: nil) }
            let error = codec.encoder.encode(codec.inBandErrorEvent(kind: kind, message: nil))
            return [okHead] + frames(0..<after) + [.event(.frame(error)), .event(.end)]
        case .cut(let after):
            return request.stream ? [okHead] + frames(0..<after) + [.event(.end)] : [okHead, .event(.body(half)), .event(.end)]
        case .reset(let after):
            return request.stream
                ? [okHead] + frames(0..<after) + [.event(.failure(.reset))]
                : [okHead, .event(.body(half)), .event(.failure(.reset))]
        case .stall(let after, let seconds):
            return request.stream ? [okHead] + frames(0..<after) + [.stall(.seconds(seconds))] : [okHead, .stall(.seconds(seconds))]
        case .malformed(let at):
            guard request.stream else { return [okHead, .event(.body(Array("{\"id\": \"broken".utf8))), .event(.end)] }
            let garbage = Step.event(.frame(Array("data: {\"choices\": [{\"delta\": \n\n".utf8)))
            return [okHead] + frames(0..<at) + [garbage] + frames(at..<encoded.count) + [.event(.end)]
        case .dropTerminator:
            guard request.stream else { return [okHead, .event(.body(body)), .event(.end)] }
            let kept = encoded.indices.filter { !codec.isTerminator(events[$0]) }
            return [okHead] + kept.map { .event(.frame(encoded[$0])) } + [.event(.end)]
        case .resetBeforeHeaders:
            return [.event(.failure(.reset))]
        }
    }

    private static func httpError(_ codec: any DialectCodec, _ kind: ErrorKind, retryAfter: Int?) -> [Step] {
        let response = codec.errorResponse(kind: kind, message: nil, retryAfter: retryAfter)
        return [.event(.head(status: response.status, headers: response.headers)), .event(.body(response.body)), .event(.end)]
    }

    private static func events(_ steps: [Step], clock: ManualRouterClock) -> UpstreamEvents {
        let cursor = Cursor(steps)
        return UpstreamEvents(next: {
            guard let step = cursor.next() else { return nil }
            switch step {
            case .event(let event):
                return event
            case .stall(let duration):
                clock.advance(by: duration)
                await Hang.untilCancelled()
                return nil
            }
        })
    }
}

/// Steps handed out one at a time.
private final class Cursor: @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [Step]

    init(_ steps: [Step]) {
        self.steps = steps
    }

    func next() -> Step? {
        lock.withLock { steps.isEmpty ? nil : steps.removeFirst() }
    }
}

/// Suspends until the task is cancelled: an upstream that went silent.
enum Hang {
    static func untilCancelled() async {
        let box = HangBox()
        await withTaskCancellationHandler {
            await withCheckedContinuation { box.park($0) }
        } onCancel: {
            box.release()
        }
    }
}

private final class HangBox: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var released = false

    func park(_ continuation: CheckedContinuation<Void, Never>) {
        let resumeNow: Bool = lock.withLock {
            if released { return true }
            self.continuation = continuation
            return false
        }
        if resumeNow { continuation.resume() }
    }

    func release() {
        let parked: CheckedContinuation<Void, Never>? = lock.withLock {
            released = true
            defer { continuation = nil }
            return continuation
        }
        parked?.resume()
    }
}
