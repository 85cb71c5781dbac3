/// One frame ready to send: how long to wait before it (already scaled) and its bytes.
struct PacedFrame: Hashable, Sendable {
    var pause: Int64
    var bytes: [UInt8]
}

extension CleanStream {
    /// The frames with the pauses that reproduce their recorded offsets under `pacing`.
    ///
    /// Offsets are scaled before taking differences so rounding never accumulates over a long
    /// stream; an offset earlier than one already sent gives no pause rather than a negative one.
    func pacedFrames(_ pacing: Pacing) -> [PacedFrame] {
        var sentUntil: Int64 = 0
        return frames.map { frame in
            let due = pacing.scaled(frame.offsetMicros)
            let pause = max(0, due - sentUntil)
            sentUntil = max(sentUntil, due)
            return PacedFrame(pause: pause, bytes: frame.bytes)
        }
    }
}

extension Array where Element == PacedFrame {
    /// The frames without those at `dropped` indices; a dropped frame's pause is kept by the next
    /// frame sent, so the frames that remain keep their times.
    func dropping(_ dropped: Set<Int>) -> [PacedFrame] {
        var kept: [PacedFrame] = []
        var carried: Int64 = 0
        for (index, frame) in enumerated() {
            if dropped.contains(index) {
                carried += frame.pause
            } else {
                kept.append(PacedFrame(pause: frame.pause + carried, bytes: frame.bytes))
                carried = 0
            }
        }
        return kept
    }
}
