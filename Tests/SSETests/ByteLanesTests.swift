import SSE
import Testing

@Suite("Byte lanes")
struct ByteLanesTests {
    @Test("any lane set is seen, whichever it is; none set is none", arguments: Array(0..<16))
    func anyLane(_ position: Int) {
        var bytes = [UInt8](repeating: 0x61, count: 20)
        #expect(!bytes.withUnsafeBytes { ByteLanes.any(ByteLanes.load($0.baseAddress!, at: 2) .== ByteLanes.Lanes(repeating: 0x0A)) })
        bytes[2 + position] = 0x0A
        #expect(bytes.withUnsafeBytes { ByteLanes.any(ByteLanes.load($0.baseAddress!, at: 2) .== ByteLanes.Lanes(repeating: 0x0A)) })
        // Bytes outside the sixteen read do not count.
        bytes[2 + position] = 0x61
        bytes[18] = 0x0A
        bytes[1] = 0x0A
        #expect(!bytes.withUnsafeBytes { ByteLanes.any(ByteLanes.load($0.baseAddress!, at: 2) .== ByteLanes.Lanes(repeating: 0x0A)) })
    }
}
