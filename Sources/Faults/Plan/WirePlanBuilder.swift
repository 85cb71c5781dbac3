import Dialects

/// Assembles a `WirePlan` so every fault produces plans of the same tidy shape: adjacent pauses
/// merged, zero pauses and empty writes left out, framing headers set from what is actually sent.
struct WirePlanBuilder {
    private(set) var steps: [WirePlan.Step] = []

    var plan: WirePlan { WirePlan(steps: steps) }

    /// Headers the executor decides itself, never copied from a recording.
    static let framingHeaders: Set<String> = ["content-length", "transfer-encoding", "connection", "keep-alive"]

    /// A head for a streamed body: no `content-length`, so the executor sends it chunked.
    mutating func streamHead(status: Int, headers: [HTTPField]) {
        steps.append(.head(status: status, headers: Self.withoutFraming(headers)))
    }

    /// A head for a fixed-length body of `length` bytes (which may be more than is then sent:
    /// that is how a body is cut mid-way).
    mutating func bodyHead(status: Int, headers: [HTTPField], length: Int, contentType: String? = nil) {
        var fields = Self.withoutFraming(headers)
        if let contentType, !fields.contains(where: { $0.name.lowercased() == "content-type" }) {
            fields.append(HTTPField("content-type", contentType))
        }
        fields.append(HTTPField("content-length", String(length)))
        steps.append(.head(status: status, headers: fields))
    }

    /// Waits before the next step; merged into a pause just before it, left out when zero.
    mutating func pause(_ micros: Int64) {
        guard micros > 0 else { return }
        if case .pause(let earlier) = steps.last {
            let sum = earlier.addingReportingOverflow(micros)
            steps[steps.count - 1] = .pause(microseconds: sum.overflow ? .max : sum.partialValue)
        } else {
            steps.append(.pause(microseconds: micros))
        }
    }

    /// Sends bytes as one write; nothing when empty.
    mutating func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        steps.append(.write(bytes))
    }

    /// Sends paced frames: each one's pause, then its bytes.
    mutating func write(_ frames: [PacedFrame]) {
        for frame in frames {
            pause(frame.pause)
            write(frame.bytes)
        }
    }

    /// Ends the plan with a final step (`finish`, `close`, `reset` or `hang`).
    mutating func end(_ step: WirePlan.Step) {
        steps.append(step)
    }

    /// A whole provider-shaped error response: head with its length, body, proper end.
    mutating func errorResponse(_ response: ProviderErrorResponse) {
        bodyHead(status: response.status, headers: response.headers, length: response.body.count,
                 contentType: "application/json")
        write(response.body)
        end(.finish)
    }

    private static func withoutFraming(_ headers: [HTTPField]) -> [HTTPField] {
        headers.filter { !framingHeaders.contains($0.name.lowercased()) }
    }
}
