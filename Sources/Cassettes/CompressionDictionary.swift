import Dialects

/// Preset zlib dictionaries, one per dialect: the JSON scaffolding every request, body and event of
/// that dialect repeats, so even a short stream compresses as if zlib had already seen one.
///
/// A blob names its dictionary by Adler-32 (in the zlib header), so these texts are part of the
/// file format: never edit one; add a new one and keep the old in `all` for reading.
public enum CompressionDictionary {
    /// The dictionary new blobs of a dialect are compressed with (nil: none).
    public static func forWriting(_ dialect: Dialect?) -> [UInt8]? {
        guard let dialect else { return nil }
        switch dialect {
        case .openAIChat: return openAIChatV1
        case .openAIResponses: return openAIResponsesV1
        case .anthropicMessages: return anthropicV1
        case .gemini: return geminiV1
        }
    }

    /// Every dictionary ever written, by the Adler-32 a zlib header names it with.
    public static let all: [UInt32: [UInt8]] = {
        var table: [UInt32: [UInt8]] = [:]
        for dictionary in [openAIChatV1, openAIResponsesV1, anthropicV1, geminiV1] {
            table[Compression.adler32(dictionary)] = dictionary
        }
        return table
    }()

    // zlib finds matches nearest the end of a dictionary cheapest, so the most frequent text
    // (stream events) comes last, after request and non-stream body scaffolding.

    static let openAIChatV1: [UInt8] = Array(("""
        {"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},\
        {"role":"user","content":"Hello"}],"temperature":0.7,"max_tokens":1024,"tools":[{"type":"function",\
        "function":{"name":"get_weather","description":"","parameters":{"type":"object","properties":{},\
        "required":[]}}}],"tool_choice":"auto","stream":true,"stream_options":{"include_usage":true}}
        {"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}
        {"id":"chatcmpl-","object":"chat.completion","created":1750000000,"model":"gpt-4o-mini-2024-07-18",\
        "choices":[{"index":0,"message":{"role":"assistant","content":"","refusal":null,"annotations":[]},\
        "logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,\
        "prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":\
        {"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},\
        "service_tier":"default","system_fingerprint":"fp_"}
        data: {"id":"chatcmpl-","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4o-2024-08-06",\
        "service_tier":"default","system_fingerprint":"fp_","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,\
        "id":"call_","type":"function","function":{"name":"","arguments":""}}]},"logprobs":null,"finish_reason":null}],\
        "usage":null,"obfuscation":""}

        data: {"id":"chatcmpl-","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4o-mini-2024-07-18",\
        "service_tier":"default","system_fingerprint":"fp_","choices":[],"usage":{"prompt_tokens":0,"completion_tokens":0,\
        "total_tokens":0,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":\
        {"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"obfuscation":""}

        data: [DONE]

        data: {"id":"chatcmpl-","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4o-mini-2024-07-18",\
        "service_tier":"default","system_fingerprint":"fp_","choices":[{"index":0,"delta":{"role":"assistant",\
        "content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":""}

        data: {"id":"chatcmpl-","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4o-mini-2024-07-18",\
        "service_tier":"default","system_fingerprint":"fp_","choices":[{"index":0,"delta":{},"logprobs":null,\
        "finish_reason":"stop"}],"usage":null,"obfuscation":""}

        data: {"id":"chatcmpl-","object":"chat.completion.chunk","created":1750000000,"model":"gpt-4o-mini-2024-07-18",\
        "service_tier":"default","system_fingerprint":"fp_","choices":[{"index":0,"delta":{"content":" the"},\
        "logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":""}


        """).utf8)

    static let openAIResponsesV1: [UInt8] = Array(("""
        {"model":"gpt-4.1-mini","input":[{"role":"user","content":"Hello"}],"instructions":"","stream":true}
        {"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}
        event: response.created
        data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_","object":"response",\
        "created_at":1750000000,"status":"in_progress","background":false,"error":null,"incomplete_details":null,\
        "instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":"gpt-4.1-mini-2025-04-14",\
        "output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},\
        "service_tier":"auto","store":true,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},\
        "tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}}

        event: response.output_item.added
        data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_",\
        "type":"message","status":"in_progress","content":[],"role":"assistant"}}

        event: response.content_part.added
        data: {"type":"response.content_part.added","sequence_number":3,"item_id":"msg_","output_index":0,\
        "content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}

        event: response.output_text.done
        data: {"type":"response.output_text.done","sequence_number":0,"item_id":"msg_","output_index":0,\
        "content_index":0,"text":"","logprobs":[]}

        event: response.completed
        data: {"type":"response.completed","sequence_number":0,"response":{"id":"resp_","object":"response",\
        "status":"completed","usage":{"input_tokens":0,"input_tokens_details":{"cached_tokens":0},"output_tokens":0,\
        "output_tokens_details":{"reasoning_tokens":0},"total_tokens":0}}}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":10,"item_id":"msg_","output_index":0,\
        "content_index":0,"delta":" the","logprobs":[],"obfuscation":""}


        """).utf8)

    static let anthropicV1: [UInt8] = Array(("""
        {"model":"claude-sonnet-4-5","max_tokens":1024,"system":"You are a helpful assistant.",\
        "messages":[{"role":"user","content":[{"type":"text","text":"Hello"}]}],"stream":true}
        {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_"}
        {"id":"msg_","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text",\
        "text":""}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,\
        "cache_read_input_tokens":0,"output_tokens":0,"service_tier":"standard"}}
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_","type":"message","role":"assistant",\
        "model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":\
        {"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":\
        {"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_","name":"","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}

        event: error
        data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":0}}

        event: message_stop
        data: {"type":"message_stop"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" the"}}


        """).utf8)

    static let geminiV1: [UInt8] = Array(("""
        {"contents":[{"role":"user","parts":[{"text":"Hello"}]}],"systemInstruction":{"parts":[{"text":""}]},\
        "generationConfig":{"temperature":0.7,"maxOutputTokens":1024}}
        {"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}
        data: {"candidates": [{"content": {"parts": [{"text": ""}],"role": "model"},"finishReason": "STOP",\
        "index": 0}],"usageMetadata": {"promptTokenCount": 0,"candidatesTokenCount": 0,"totalTokenCount": 0,\
        "promptTokensDetails": [{"modality": "TEXT","tokenCount": 0}],"thoughtsTokenCount": 0},\
        "modelVersion": "gemini-2.5-flash","responseId": ""}\r\n\r
        data: {"candidates": [{"content": {"parts": [{"text": " the"}],"role": "model"},"index": 0}],\
        "usageMetadata": {"promptTokenCount": 0,"totalTokenCount": 0,"promptTokensDetails": [{"modality": "TEXT",\
        "tokenCount": 0}]},"modelVersion": "gemini-2.5-flash","responseId": ""}\r\n\r

        """).utf8)
}
