// libFuzzer harness for the JSON reader: accepted input must write back to the same value.
import Dialects

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
    guard (try? JSONValue.parse(JSONWriter.bytes(value))) == value else { fatalError("a value does not write back to itself") }
    return 0
}
