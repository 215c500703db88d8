"""The fake LLM API's Responses API answers as the real one does, decided by the request
alone: a call of the first function tool until the input carries its output, then the
final text; JSON bodies and typed server-sent events the openai client parses."""

import json

import httpx
import openai
import pytest

from otelaudit.servers.running import running_servers

TOOL = {"type": "function", "name": "get_order_status", "description": "Look up an order.", "strict": True,
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}, "urgent": {"type": "boolean"}},
                       "required": ["order_id", "urgent"], "additionalProperties": False}}
QUESTION = [{"role": "user", "content": "Where is my order 1042?"}]


@pytest.fixture(scope="module")
def base_url():
    with running_servers(["llm"]) as servers:
        yield "http://%s:%d/v1" % servers["llm"]


@pytest.fixture(scope="module")
def client(base_url):
    with openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0) as client:
        yield client


def _answered(call):
    return QUESTION + [call.model_dump(exclude_none=True),
                       {"type": "function_call_output", "call_id": call.call_id, "output": "shipped"}]


def test_a_request_with_a_tool_is_answered_by_a_call_with_arguments_valid_for_its_schema(client):
    response = client.responses.create(model="gpt-4o-mini", input=QUESTION, tools=[TOOL], instructions="Be brief.")
    (call,) = response.output
    assert call.type == "function_call" and call.name == "get_order_status" and call.call_id
    assert set(json.loads(call.arguments)) == {"order_id", "urgent"}
    assert isinstance(json.loads(call.arguments)["urgent"], bool)
    assert response.status == "completed" and response.instructions == "Be brief."  # echoed, as the real API does
    assert [t.name for t in response.tools] == ["get_order_status"] and response.temperature == 1.0
    assert response.usage is not None and response.usage.input_tokens > 0


def test_the_tool_output_in_the_input_gets_the_final_text(client):
    call = client.responses.create(model="gpt-4o-mini", input=QUESTION, tools=[TOOL]).output[0]
    response = client.responses.create(model="gpt-4o-mini", input=_answered(call), tools=[TOOL])
    assert response.output[0].type == "message"
    assert len(response.output_text.split()) >= 100
    assert response.usage is not None and response.usage.output_tokens == 120
    plain = client.responses.create(model="gpt-4o-mini", input="Hello")  # no tools: text at once
    assert plain.output_text == response.output_text


def test_a_streamed_text_is_the_real_event_sequence_numbered_in_order(client):
    call = client.responses.create(model="gpt-4o-mini", input=QUESTION, tools=[TOOL]).output[0]
    events = list(client.responses.create(model="gpt-4o-mini", input=_answered(call), tools=[TOOL], stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert kinds.count("response.output_text.delta") == 120
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == events[-1].response.output_text and events[-1].response.usage.total_tokens > 120


def test_a_streamed_call_carries_its_arguments(client):
    events = list(client.responses.create(model="gpt-4o-mini", input=QUESTION, tools=[TOOL], stream=True))
    assert [e.type for e in events][2:-1] == ["response.output_item.added", "response.function_call_arguments.delta",
                                              "response.function_call_arguments.done", "response.output_item.done"]
    assert events[-1].response.output[0].name == "get_order_status"


def test_the_stream_is_server_sent_events_in_chunks(base_url):
    response = httpx.post(base_url + "/responses", json={"model": "m", "input": "hi", "stream": True})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["transfer-encoding"] == "chunked"
    blocks = [b for b in response.text.split("\n\n") if b]
    assert all(b.startswith("event: response.") and "\ndata: {" in b for b in blocks)


def test_every_event_and_body_validates_strictly_against_the_openai_types(base_url):
    from openai.types.responses import Response, ResponseStreamEvent
    from pydantic import TypeAdapter

    events = TypeAdapter(ResponseStreamEvent)
    for request in ({"model": "m", "input": QUESTION, "tools": [TOOL]}, {"model": "m", "input": "hi"}):
        streamed = httpx.post(base_url + "/responses", json={**request, "stream": True}).text
        for block in filter(None, streamed.split("\n\n")):
            events.validate_python(json.loads(block.split("\ndata: ", 1)[1]))  # raises on a malformed event
        Response.model_validate(httpx.post(base_url + "/responses", json=request).json())
