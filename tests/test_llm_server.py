"""The fake LLM API answers like the real ones: JSON bodies, and streams of server-sent
events (OpenAI's `data:` chunks ending `data: [DONE]`, Anthropic's typed events)."""

import base64
import json

import httpx
import pytest

from otelaudit.servers.running import running_servers

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Where is my order?"}]}


@pytest.fixture(scope="module")
def llm():
    with running_servers(["llm"]) as servers, httpx.Client(base_url="http://%s:%d" % servers["llm"]) as client:
        yield client


def _events(response: httpx.Response):
    assert response.headers["content-type"].startswith("text/event-stream")
    return [block for block in response.text.split("\n\n") if block]


def test_chat_completion_is_a_complete_json_answer(llm):
    body = llm.post("/v1/chat/completions", json=CHAT).json()
    assert body["object"] == "chat.completion" and body["model"] == "gpt-4o-mini"
    assert len(body["choices"][0]["message"]["content"].split()) >= 100
    assert body["usage"]["completion_tokens"] == 120


def test_streamed_chat_completion_is_many_sse_chunks_ending_done(llm):
    response = llm.post("/v1/chat/completions", json={**CHAT, "stream": True, "stream_options": {"include_usage": True}})
    events = _events(response)
    assert response.headers["transfer-encoding"] == "chunked"
    assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"
    chunks = [json.loads(e[len("data: "):]) for e in events[:-1]]
    assert len(chunks) > 100 and {c["object"] for c in chunks} == {"chat.completion.chunk"}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == llm.post("/v1/chat/completions", json=CHAT).json()["choices"][0]["message"]["content"]
    assert chunks[-1]["usage"]["total_tokens"] > 120  # include_usage: a last chunk without choices


def test_embeddings_come_as_floats_or_base64(llm):
    floats = llm.post("/v1/embeddings", json={"model": "e", "input": ["a", "b"]}).json()
    assert [len(d["embedding"]) for d in floats["data"]] == [1536, 1536]
    packed = llm.post("/v1/embeddings", json={"model": "e", "input": "a", "encoding_format": "base64"}).json()
    assert len(base64.b64decode(packed["data"][0]["embedding"])) == 1536 * 4


def test_anthropic_stream_has_the_messages_api_event_sequence(llm):
    request = {"model": "claude", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    kinds = [block.split("\n")[0][len("event: "):] for block in _events(llm.post("/v1/messages", json=request))]
    assert kinds[:3] == ["message_start", "content_block_start", "ping"]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert kinds.count("content_block_delta") == 120
    body = llm.post("/v1/messages", json={**request, "stream": False}).json()
    assert body["type"] == "message" and body["stop_reason"] == "end_turn"


def test_unknown_path_is_a_404(llm):
    assert llm.post("/v1/unknown", json={}).status_code == 404
