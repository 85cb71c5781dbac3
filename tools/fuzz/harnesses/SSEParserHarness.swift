// libFuzzer harness for the SSE parser: the input is a stream; its first two bytes also choose
// where to split it, so chunk boundaries are fuzzed too. Traps when a property breaks.
import SSE

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = SSEParser.parse(bytes)
    // Every byte is kept: the frames reproduce the input exactly.
    guard SSEEncoder.encode(whole) == bytes else { fatalError("frames do not reproduce the input") }
    let cut = bytes.count < 2 ? 0 : (Int(bytes[0]) << 8 | Int(bytes[1])) % (bytes.count + 1)
    var parser = SSEParser()
    let split = parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...]) + parser.finish()
    guard split == whole else { fatalError("a split at \(cut) changes the frames") }
    return 0
}
