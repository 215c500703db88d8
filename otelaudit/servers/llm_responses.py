"""The OpenAI Responses API (`POST /v1/responses`) of the fake LLM API, as the Agents SDK's
default model calls it: stateless, the answer is decided by the request body. A request
offering function tools whose input holds no `function_call_output` yet is answered by a
call of its first tool; otherwise by the final text. `plan()` reads the request into a
hashable `ResponsePlan` (so `servers.llm` can cache the encoded answer); `body()` and
`events()` give the JSON body and the typed server-sent events the real API sends."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

CREATED = 1_732_400_000
RESPONSE_ID = "resp_0123456789abcdef0123456789abcdef"
MESSAGE_ID = "msg_0123456789abcdef0123456789abcdef"
CALL_ITEM_ID = "fc_0123456789abcdef0123456789abcdef"
CALL_ID = "call_AbCdEf0123456789AbCdEf01"
# The request's fields the real API returns on the response, with its defaults where absent.
_ECHOED: Dict[str, Any] = {"instructions": None, "max_output_tokens": None, "parallel_tool_calls": True, "temperature": 1.0,
           "tool_choice": "auto", "tools": [], "top_p": 1.0, "truncation": "disabled", "user": None, "metadata": {}}
_SAMPLES = {"string": "1042", "integer": 1042, "number": 1042.0, "boolean": True, "array": [], "object": {}}


@dataclass(frozen=True)
class ResponsePlan:
    """What one request is answered with: a call of `tool` with `arguments`, or text."""

    model: str
    stream: bool
    input_tokens: int
    tool: Optional[str] = None
    arguments: str = "{}"
    echo: str = "{}"  # the request's settings the real API echoes on the response (JSON: hashable)


def _arguments(parameters: Dict[str, Any]) -> str:
    """Arguments valid for a tool's JSON schema: a sample value for each of its properties."""
    properties = parameters.get("properties") or {}
    return json.dumps({name: _SAMPLES.get(str(schema.get("type")), "1042") for name, schema in properties.items()})


def _input_tokens(items: Any) -> int:
    if isinstance(items, str):
        return len(items.split()) + 4
    return sum(len(json.dumps(item).split()) + 4 for item in items or ())


def plan(request: Dict[str, Any]) -> ResponsePlan:
    items = request.get("input") or []
    answered = isinstance(items, list) and any(isinstance(i, dict) and i.get("type") == "function_call_output"
                                               for i in items)
    tools = [t for t in request.get("tools") or () if isinstance(t, dict) and t.get("type") == "function"]
    instructions = request.get("instructions")
    calls = bool(tools) and not answered
    return ResponsePlan(model=str(request.get("model", "unknown")), stream=bool(request.get("stream")),
                        input_tokens=_input_tokens(items) + _input_tokens(instructions or ""),
                        tool=str(tools[0].get("name")) if calls else None,
                        arguments=_arguments(tools[0].get("parameters") or {}) if calls else "{}",
                        echo=json.dumps({k: v if request.get(k) is None else request[k] for k, v in _ECHOED.items()}))


def _usage(plan: ResponsePlan, output_tokens: int) -> Dict[str, Any]:
    return {"input_tokens": plan.input_tokens, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": plan.input_tokens + output_tokens}


def _call(plan: ResponsePlan, arguments: str, status: str) -> Dict[str, Any]:
    return {"id": CALL_ITEM_ID, "type": "function_call", "status": status, "arguments": arguments,
            "call_id": CALL_ID, "name": plan.tool}


def _text_part(text: str) -> Dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message(content: List[Dict[str, Any]], status: str) -> Dict[str, Any]:
    return {"id": MESSAGE_ID, "type": "message", "status": status, "role": "assistant", "content": content}


def _response(plan: ResponsePlan, status: str, output: List[Dict[str, Any]],
              usage: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    return {"id": RESPONSE_ID, "object": "response", "created_at": CREATED, "status": status, "background": False,
            "error": None, "incomplete_details": None, "max_tool_calls": None, "model": plan.model, "output": output,
            "previous_response_id": None, "reasoning": {"effort": None, "summary": None}, "service_tier": "default",
            "store": True, "text": {"format": {"type": "text"}, "verbosity": "medium"}, "top_logprobs": 0,
            "usage": usage, **json.loads(plan.echo)}


def _output_tokens(plan: ResponsePlan, tokens: Sequence[str]) -> int:
    return len(plan.arguments.split()) + 8 if plan.tool else len(tokens)


def _output(plan: ResponsePlan, tokens: Sequence[str]) -> List[Dict[str, Any]]:
    if plan.tool:
        return [_call(plan, plan.arguments, "completed")]
    return [_message([_text_part("".join(tokens))], "completed")]


def body(plan: ResponsePlan, tokens: Sequence[str]) -> Dict[str, Any]:
    """The JSON body of a non-streamed response; `tokens` make the final text."""
    return _response(plan, "completed", _output(plan, tokens), _usage(plan, _output_tokens(plan, tokens)))


def _item_events(plan: ResponsePlan, tokens: Sequence[str]) -> List[Dict[str, Any]]:
    """The events between `response.in_progress` and `response.completed`: the output item
    added, its content streamed in deltas (one per token, or the call's arguments), done."""
    where = {"output_index": 0}
    if plan.tool:
        return [{"type": "response.output_item.added", **where, "item": _call(plan, "", "in_progress")},
                {"type": "response.function_call_arguments.delta", "item_id": CALL_ITEM_ID, **where,
                 "delta": plan.arguments},
                {"type": "response.function_call_arguments.done", "item_id": CALL_ITEM_ID, **where,
                 "name": plan.tool, "arguments": plan.arguments},  # openai 2.x requires the name
                {"type": "response.output_item.done", **where, "item": _call(plan, plan.arguments, "completed")}]
    text = "".join(tokens)
    part = {"item_id": MESSAGE_ID, **where, "content_index": 0}
    return ([{"type": "response.output_item.added", **where, "item": _message([], "in_progress")},
             {"type": "response.content_part.added", **part, "part": _text_part("")}]
            + [{"type": "response.output_text.delta", **part, "delta": token, "logprobs": []} for token in tokens]
            + [{"type": "response.output_text.done", **part, "text": text, "logprobs": []},
               {"type": "response.content_part.done", **part, "part": _text_part(text)},
               {"type": "response.output_item.done", **where, "item": _message([_text_part(text)], "completed")}])


def events(plan: ResponsePlan, tokens: Sequence[str]) -> List[str]:
    """The server-sent events of a streamed response, numbered as the real API numbers them."""
    started = _response(plan, "in_progress", [], None)
    typed = ([{"type": "response.created", "response": started},
              {"type": "response.in_progress", "response": started}]
             + _item_events(plan, tokens)
             + [{"type": "response.completed", "response": body(plan, tokens)}])
    return [f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': n})}\n\n" for n, e in enumerate(typed)]
