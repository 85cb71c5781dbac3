/// A fault optionally limited to one upstream model: `[MODEL=]SPEC`, as given to `--fault` and
/// in each part of the `x-tapedeck-fault` header.
public struct ScopedFault: Sendable, CustomStringConvertible {
    /// The upstream model it applies to; nil for every model.
    public var model: String?
    public var fault: any Fault

    public init(model: String?, fault: any Fault) {
        self.model = model
        self.fault = fault
    }

    /// Parses `[MODEL=]SPEC`. The text before the first `=` is a model unless it reads as the
    /// start of a spec (`KIND:key`), so model names with colons (`llama3:8b=cut:after=3`) work.
    /// What follows a model's `=` is a spec, which starts with a kind's name: text like
    /// `cutt:after=1` (a misspelt kind, then a value) is read, and reported, as one spec.
    public init(parsing text: String) throws(FaultSpecError) {
        let trimmed = text.trimmedSpaces
        guard !trimmed.isEmpty else { throw .empty }
        if let equals = trimmed.firstIndex(of: "="), Self.isModelPrefix(trimmed[..<equals]),
            trimmed[trimmed.index(after: equals)...].trimmedSpaces.first?.isLetter ?? true
        {
            let model = trimmed[..<equals].trimmedSpaces
            guard !model.isEmpty else { throw .emptyModel(spec: trimmed) }
            self.init(model: model, fault: try FaultCatalogue.parse(String(trimmed[trimmed.index(after: equals)...])))
        } else {
            self.init(model: nil, fault: try FaultCatalogue.parse(trimmed))
        }
    }

    private static func isModelPrefix(_ head: Substring) -> Bool {
        guard let colon = head.firstIndex(of: ":") else { return true }
        return FaultCatalogue.type(named: head[..<colon].trimmedSpaces) == nil
    }

    /// `MODEL=SPEC` or `SPEC`, in canonical form.
    public var description: String {
        model.map { "\($0)=\(fault)" } ?? fault.description
    }

    /// True when it applies to requests for `model`.
    public func applies(to model: String?) -> Bool {
        self.model == nil || self.model == model
    }
}

/// The per-request fault header: `x-tapedeck-fault: [MODEL=]SPEC[;[MODEL=]SPEC…]`, so a client
/// can set faults through a gateway that forwards headers.
public struct FaultHeader: Sendable, CustomStringConvertible {
    /// The header's name.
    public static let name = "x-tapedeck-fault"

    public var entries: [ScopedFault]

    public init(entries: [ScopedFault]) {
        self.entries = entries
    }

    /// Parses the header value; empty parts (a trailing `;`) are ignored.
    public init(parsing value: String) throws(FaultSpecError) {
        var entries: [ScopedFault] = []
        for part in value.split(separator: ";") where !part.trimmedSpaces.isEmpty {
            entries.append(try ScopedFault(parsing: String(part)))
        }
        guard !entries.isEmpty else { throw .empty }
        self.entries = entries
    }

    /// The fault for a request to `model`: the first entry naming that model, else the first
    /// entry without a model, else nil (the header does not concern this request).
    public func fault(forModel model: String?) -> (any Fault)? {
        if let model, let scoped = entries.first(where: { $0.model == model }) { return scoped.fault }
        return entries.first(where: { $0.model == nil })?.fault
    }

    public var description: String { entries.map(\.description).joined(separator: ";") }
}
