"""A fake OpenAI- and Anthropic-compatible API on loopback for the GenAI scenarios, in its
own process (`python -m otelaudit.servers.llm`, same start/stop protocol as
`_http_server`). It answers `/v1/chat/completions` (JSON, or with `"stream": true` a
server-sent event stream of one chunk per token ending `data: [DONE]`), `/v1/embeddings`
(floats or base64), `/v1/messages` (JSON, or Anthropic's typed event stream) and
`/v1/responses` (OpenAI's Responses API, `servers.llm_responses`), with the
payload shapes and sizes of the real APIs. Answers are precomputed per request shape."""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import struct
from typing import Any, Dict, List, Optional, Tuple

from otelaudit.servers import llm_responses
from otelaudit.servers.http import serve

COMPLETION_TOKENS = 120  # one streamed chunk per token, as the real APIs send them
EMBEDDING_DIMENSIONS = 1536
WORDS = ("The instrumentation overhead of a service depends on how many spans, attributes and metric "
         "points each request produces and on how much work the wrappers do per call ").split()
CREATED = 1_732_400_000


def _token(i: int) -> str:
    return ("" if i == 0 else " ") + WORDS[i % len(WORDS)]


TEXT = "".join(_token(i) for i in range(COMPLETION_TOKENS))


def _http(status: str, content_type: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: keep-alive\r\nx-request-id: req_0123456789abcdef\r\n\r\n").encode() + body


def _http_stream(events: List[str]) -> bytes:
    """Server-sent events in chunked transfer encoding, one HTTP chunk per event."""
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: keep-alive\r\nCache-Control: no-cache\r\nx-request-id: req_0123456789abcdef\r\n\r\n")
    chunks = [b"%x\r\n%s\r\n" % (len(data), data) for data in (event.encode() for event in events)]
    return head + b"".join(chunks) + b"0\r\n\r\n"


def _json(value: Any) -> bytes:
    return _http("200 OK", "application/json", json.dumps(value).encode())


def _openai_usage(prompt_tokens: int) -> Dict[str, Any]:
    return {"prompt_tokens": prompt_tokens, "completion_tokens": COMPLETION_TOKENS,
            "total_tokens": prompt_tokens + COMPLETION_TOKENS,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}


@functools.lru_cache(maxsize=64)
def chat_completion(model: str, stream: bool, include_usage: bool, prompt_tokens: int) -> bytes:
    base = {"id": "chatcmpl-AbCdEf0123456789", "created": CREATED, "model": model,
            "system_fingerprint": "fp_0123456789", "service_tier": "default"}
    if not stream:
        choice = {"index": 0, "message": {"role": "assistant", "content": TEXT, "refusal": None, "annotations": []},
                  "logprobs": None, "finish_reason": "stop"}
        return _json({**base, "object": "chat.completion", "choices": [choice], "usage": _openai_usage(prompt_tokens)})
    chunk = {**base, "object": "chat.completion.chunk"}

    def event(delta: Dict[str, Any], finish: Optional[str] = None) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return f"data: {json.dumps({**chunk, 'choices': [choice]})}\n\n"

    events = [event({"role": "assistant", "content": "", "refusal": None})]
    events += [event({"content": _token(i)}) for i in range(COMPLETION_TOKENS)]
    events.append(event({}, "stop"))
    if include_usage:
        events.append(f"data: {json.dumps({**chunk, 'choices': [], 'usage': _openai_usage(prompt_tokens)})}\n\n")
    events.append("data: [DONE]\n\n")
    return _http_stream(events)


@functools.lru_cache(maxsize=64)
def embeddings(model: str, inputs: int, encoding: str) -> bytes:
    vector = [((i * 7919) % 2000 - 1000) / 31622.0 for i in range(EMBEDDING_DIMENSIONS)]
    packed = struct.pack(f"<{len(vector)}f", *vector)
    embedding: Any = base64.b64encode(packed).decode() if encoding == "base64" else vector
    data = [{"object": "embedding", "index": i, "embedding": embedding} for i in range(inputs)]
    return _json({"object": "list", "data": data, "model": model,
                  "usage": {"prompt_tokens": 8 * inputs, "total_tokens": 8 * inputs}})


@functools.lru_cache(maxsize=64)
def anthropic_message(model: str, stream: bool, input_tokens: int) -> bytes:
    message = {"id": "msg_01AbCdEf0123456789", "type": "message", "role": "assistant", "model": model}
    usage = {"input_tokens": input_tokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
             "output_tokens": COMPLETION_TOKENS, "service_tier": "standard"}
    if not stream:
        body = {**message, "content": [{"type": "text", "text": TEXT}], "stop_reason": "end_turn",
                "stop_sequence": None, "usage": usage}
        return _json(body)

    def event(kind: str, data: Dict[str, Any]) -> str:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"

    start: Dict[str, Any] = {**message, "content": [], "stop_reason": None, "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}
    events = [event("message_start", {"message": start}),
              event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
              event("ping", {})]
    events += [event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": _token(i)}})
               for i in range(COMPLETION_TOKENS)]
    events += [event("content_block_stop", {"index": 0}),
               event("message_delta", {"delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                       "usage": {"output_tokens": COMPLETION_TOKENS}}),
               event("message_stop", {})]
    return _http_stream(events)


@functools.lru_cache(maxsize=64)
def response(plan: llm_responses.ResponsePlan) -> bytes:
    tokens = [_token(i) for i in range(COMPLETION_TOKENS)]
    if plan.stream:
        return _http_stream(llm_responses.events(plan, tokens))
    return _json(llm_responses.body(plan, tokens))


def _prompt_tokens(messages: List[Dict[str, Any]]) -> int:
    return sum(len(str(m.get("content", "")).split()) for m in messages) + 4 * len(messages)


def _route(head: bytes) -> Tuple[str, str]:
    method, path = head.split(b"\r\n", 1)[0].decode().split(" ")[:2]
    return method, path.split("?", 1)[0]


def respond(head: bytes, body: bytes) -> bytes:
    method, path = _route(head)
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return _http("400 Bad Request", "application/json", b'{"error": {"message": "invalid JSON body"}}')
    model = str(request.get("model", "unknown"))
    if method == "POST" and path.endswith("/chat/completions"):
        include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        return chat_completion(model, bool(request.get("stream")), include_usage,
                               _prompt_tokens(request.get("messages", [])))
    if method == "POST" and path.endswith("/embeddings"):
        inputs = request.get("input", "")
        count = len(inputs) if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int) else 1
        return embeddings(model, count, str(request.get("encoding_format", "float")))
    if method == "POST" and path.endswith("/messages"):
        return anthropic_message(model, bool(request.get("stream")), _prompt_tokens(request.get("messages", [])))
    if method == "POST" and path.endswith("/responses"):
        return response(llm_responses.plan(request))
    return _http("404 Not Found", "application/json", b'{"error": {"message": "unknown path"}}')


if __name__ == "__main__":
    asyncio.run(serve(respond))
