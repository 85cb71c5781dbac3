import Dialects

/// A stable identity of a request's meaning: SHA-256 over method, canonical endpoint, model and
/// canonical body, as lowercase hex. Equal fingerprints mean a recording answers the request.
public enum RequestFingerprint {
    /// The fingerprint of a request as sent.
    public static func compute(
        method: String, endpoint: String, model: String?, body: [UInt8],
        canonicalizer: RequestCanonicalizer = RequestCanonicalizer()
    ) -> String {
        var hasher = SHA256()
        // Each part is length-prefixed so no two different requests concatenate alike.
        for part in [Array(method.uppercased().utf8), Array(canonicalizer.endpoint(endpoint).utf8),
                     Array((model ?? "").utf8), canonicalizer.bodyBytes(body)] {
            hasher.update(Array(String(part.count).utf8) + [0x3A])
            hasher.update(part)
        }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
