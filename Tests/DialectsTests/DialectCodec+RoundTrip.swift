import Dialects
import SSE

extension DialectCodec {
    /// The outcome a client reads back from the stream synthesized for `outcome`, through its wire bytes.
    func streamRoundTrip(_ outcome: Outcome) -> Outcome {
        self.outcome(fromFrames: SSEParser.parse(streamBytes(for: outcome)))
    }

    /// The outcome a client reads back from the body synthesized for `outcome`, through its bytes.
    func bodyRoundTrip(_ outcome: Outcome) -> Outcome {
        self.outcome(fromBody: JSONWriter.bytes(body(for: outcome)), status: 200)
    }
}
