import Dialects
import SSE

/// What each frame of a clean stream is to a client: content, the terminator, or filler.
///
/// This is where `after: n` is counted. Only content frames count: frames that complete an SSE
/// event which is not the dialect's terminator. Keep-alive comments, stray blank lines and
/// partial blocks are filler and never count, so `cut:after=3` means "after 3 events of content"
/// however many keep-alives the recording holds. (Events are what SDKs see, so Anthropic `ping`
/// events, being events, do count.)
struct StreamLayout {
    enum Role: Hashable {
        case content
        case terminator
        case filler
    }

    let roles: [Role]

    /// Classifies frames by parsing them in sequence, so a block split across frames is
    /// attributed to the frame that completes it.
    init(frames: [Frame], codec: any DialectCodec) {
        var parser = SSEParser()
        roles = frames.map { frame in
            let events = parser.feed(frame.bytes).compactMap(\.event)
            if events.contains(where: codec.isTerminator) { return .terminator }
            return events.isEmpty ? .filler : .content
        }
    }

    /// How many leading frames to send so that `n` content events get through: up to and
    /// including the n-th content frame. The fault always strikes: when the stream has fewer
    /// content events, it strikes where the terminator would have been sent (or at the end).
    func prefixLength(afterContent n: Int) -> Int {
        guard n > 0 else { return 0 }
        var seen = 0
        for (index, role) in roles.enumerated() {
            switch role {
            case .terminator:
                return index
            case .content:
                seen += 1
                if seen == n { return index + 1 }
            case .filler:
                continue
            }
        }
        return roles.count
    }

    /// The index of the content frame numbered `n` from 0, or of the last content frame when
    /// there are fewer; nil when the stream has no content.
    func contentFrameIndex(_ n: Int) -> Int? {
        let content = roles.indices.filter { roles[$0] == .content }
        guard !content.isEmpty else { return nil }
        return content[min(n, content.count - 1)]
    }

    /// Indices of the frames that carry the terminator.
    var terminatorIndices: Set<Int> {
        Set(roles.indices.filter { roles[$0] == .terminator })
    }
}
