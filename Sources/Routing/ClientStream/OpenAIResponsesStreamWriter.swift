import Dialects
import SSE

/// OpenAI Responses events numbered by `sequence_number`: `response.created`, output items opened
/// and closed around their deltas, and a terminal event whose `response` is the non-stream body
/// the Responses codec gives for the final answer (ids aligned with the streamed ones).
struct OpenAIResponsesStreamWriter: ClientStreamWriter {
    let responseID: String
    let created: Int
    private var sequence = 0
    private var outputIndex = -1
    private var open: OpenItem = .none
    /// Ids of the items streamed so far, in output order.
    private var itemIDs: [String] = []

    private enum OpenItem: Sendable {
        case none
        case message(id: String, text: String)
        case functionCall(id: String, callID: String, name: String, arguments: String)
    }

    init(responseID: String, created: Int) {
        self.responseID = responseID
        self.created = created
    }

    mutating func opening(model: String) -> [SSEEvent] {
        let snapshot: JSONValue = [
            "id": .string(responseID), "object": "response", "created_at": .int(created), "status": "in_progress",
            "model": .string(model), "output": [], "usage": .null, "error": .null,
        ]
        return [emit("response.created", ["response": snapshot]), emit("response.in_progress", ["response": snapshot])]
    }

    mutating func text(_ piece: String, model: String) -> [SSEEvent] {
        var events: [SSEEvent] = []
        if case .message(let id, let text) = open {
            open = .message(id: id, text: text + piece)
        } else {
            events += closeItem()
            outputIndex += 1
            let id = "msg_\(responseID.dropFirst(5))_\(outputIndex)"
            itemIDs.append(id)
            open = .message(id: id, text: piece)
            events.append(emit("response.output_item.added", [
                "output_index": .int(outputIndex),
                "item": ["id": .string(id), "type": "message", "status": "in_progress", "role": "assistant", "content": []],
            ]))
            events.append(emit("response.content_part.added", [
                "item_id": .string(id), "output_index": .int(outputIndex), "content_index": 0,
                "part": ["type": "output_text", "text": "", "annotations": []],
            ]))
        }
        guard case .message(let id, _) = open else { return events }
        events.append(emit("response.output_text.delta", [
            "item_id": .string(id), "output_index": .int(outputIndex), "content_index": 0, "delta": .string(piece),
            "logprobs": [],
        ]))
        return events
    }

    mutating func toolCallStarted(index: Int, id: String, name: String, model: String) -> [SSEEvent] {
        var events = closeItem()
        outputIndex += 1
        let itemID = "fc_\(responseID.dropFirst(5))_\(outputIndex)"
        itemIDs.append(itemID)
        open = .functionCall(id: itemID, callID: id, name: name, arguments: "")
        events.append(emit("response.output_item.added", [
            "output_index": .int(outputIndex),
            "item": [
                "id": .string(itemID), "type": "function_call", "status": "in_progress", "call_id": .string(id),
                "name": .string(name), "arguments": "",
            ],
        ]))
        return events
    }

    mutating func toolCallArguments(index: Int, piece: String, model: String) -> [SSEEvent] {
        guard case .functionCall(let id, let callID, let name, let arguments) = open else { return [] }
        open = .functionCall(id: id, callID: callID, name: name, arguments: arguments + piece)
        return [emit("response.function_call_arguments.delta", [
            "item_id": .string(id), "output_index": .int(outputIndex), "delta": .string(piece),
        ])]
    }

    mutating func closing(outcome: Outcome) -> [SSEEvent] {
        var events = closeItem()
        var response = OpenAIResponsesCodec().body(for: outcome)
        response["id"] = .string(responseID)
        response["created_at"] = .int(created)
        if var output = response["output"]?.arrayValue, output.count == itemIDs.count {
            for index in output.indices { output[index]["id"] = .string(itemIDs[index]) }
            response["output"] = .array(output)
        }
        let type: String
        switch response["status"]?.stringValue {
        case "incomplete": type = "response.incomplete"
        case "failed": type = "response.failed"
        default: type = "response.completed"
        }
        events.append(emit(type, ["response": response]))
        return events
    }

    mutating func error(_ error: OutcomeError) -> [SSEEvent] {
        let event = OpenAIResponsesCodec().inBandErrorEvent(kind: error.kind, message: error.message, sequenceNumber: sequence)
        sequence += 1
        return [event]
    }

    private mutating func closeItem() -> [SSEEvent] {
        switch open {
        case .none:
            return []
        case .message(let id, let text):
            open = .none
            let part: JSONValue = ["type": "output_text", "text": .string(text), "annotations": []]
            let position: [String: JSONValue] = ["item_id": .string(id), "output_index": .int(outputIndex), "content_index": 0]
            return [
                emit("response.output_text.done", position.merging(["text": .string(text), "logprobs": []]) { $1 }),
                emit("response.content_part.done", position.merging(["part": part]) { $1 }),
                emit("response.output_item.done", [
                    "output_index": .int(outputIndex),
                    "item": ["id": .string(id), "type": "message", "status": "completed", "role": "assistant", "content": [part]],
                ]),
            ]
        case .functionCall(let id, let callID, let name, let arguments):
            open = .none
            return [
                emit("response.function_call_arguments.done", [
                    "item_id": .string(id), "output_index": .int(outputIndex), "arguments": .string(arguments),
                ]),
                emit("response.output_item.done", [
                    "output_index": .int(outputIndex),
                    "item": [
                        "id": .string(id), "type": "function_call", "status": "completed", "call_id": .string(callID),
                        "name": .string(name), "arguments": .string(arguments),
                    ],
                ]),
            ]
        }
    }

    private mutating func emit(_ type: String, _ fields: [String: JSONValue]) -> SSEEvent {
        var data = fields
        data["type"] = .string(type)
        data["sequence_number"] = .int(sequence)
        sequence += 1
        return SSEEvent(type: type, data: JSONWriter.string(.object(data)))
    }
}
