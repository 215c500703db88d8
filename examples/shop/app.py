"""A small shop service to audit with `otelaudit app` (see the README, "Auditing your own
service"): FastAPI in front of SQLAlchemy on an in-memory sqlite database, an httpx call to
an inventory service on loopback, and an OpenAI chat call. Self-contained: the inventory
service is a stdlib HTTP server the app starts on a free loopback port, and the OpenAI client
reads OPENAI_BASE_URL and OPENAI_API_KEY, which `otelaudit app` points at its loopback fake
API. Run it yourself with `uvicorn app:app` (and a real OPENAI_API_KEY) from this folder."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, AsyncIterator, Dict

import httpx
from fastapi import FastAPI, HTTPException, Request
from openai import AsyncOpenAI
from pydantic import BaseModel
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# One in-memory database shared by the threads of this process (nothing written to disk).
engine = create_engine(os.environ.get("SHOP_DATABASE_URL", "sqlite:///file:shop?mode=memory&cache=shared&uri=true"))


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    price_cents: Mapped[int]


class Inventory(BaseHTTPRequestHandler):
    """The stock service the shop asks over HTTP: GET /stock/ID -> {"item": ID, "in_stock": N}."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a real service behind a client pool

    def do_GET(self) -> None:
        body = json.dumps({"item": self.path.rsplit("/", 1)[-1], "in_stock": 7}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[Dict[str, Any]]:
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.merge(Item(id=1, name="lamp", price_cents=2500))
        session.commit()
    inventory = ThreadingHTTPServer(("127.0.0.1", 0), Inventory)
    threading.Thread(target=inventory.serve_forever, daemon=True).start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{inventory.server_port}") as stock:
        yield {"stock": stock, "llm": AsyncOpenAI()}
    inventory.shutdown()


app = FastAPI(lifespan=lifespan)


class Chat(BaseModel):
    message: str


@app.get("/items/{item_id}")
async def read_item(item_id: int, request: Request) -> Dict[str, Any]:
    with Session(engine) as session:
        item = session.scalars(select(Item).where(Item.id == item_id)).first()
    if item is None:
        raise HTTPException(status_code=404, detail="no such item")
    stock = await request.state.stock.get(f"/stock/{item_id}")
    stock.raise_for_status()
    return {"id": item.id, "name": item.name, "price_cents": item.price_cents, "in_stock": stock.json()["in_stock"]}


@app.post("/chat")
async def chat(body: Chat, request: Request) -> Dict[str, str]:
    answer = await request.state.llm.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": body.message}])
    return {"reply": answer.choices[0].message.content or ""}
