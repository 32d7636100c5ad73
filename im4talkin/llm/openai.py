"""An OpenAI-compatible chat server as the partner: a llama.cpp server or vLLM on another
machine, serving many learners. Replies stream over server-sent events.

Only the URL the learner configures is contacted. A server that is down, slow or answers
with an error becomes one ModelError line; the conversation's history is left as it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import ConfigError, ModelError
from ..messages import ChatTurn

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3
"""A cautious estimate: the server's tokenizer is not known here, so count long."""


class OpenAIChat:
    """Chat completions from ``url`` (ending in ``/v1``), streamed."""

    def __init__(
        self,
        url: str,
        *,
        model: str = "",
        api_key: str = "",
        n_ctx: int = 2048,
        temperature: float = 0.7,
        seed: int = 7,
        timeout: float = 30.0,
    ) -> None:
        import httpx

        url = url.strip().rstrip("/")
        try:
            parsed = httpx.URL(url)
            ok = parsed.scheme in ("http", "https") and bool(parsed.host)
            port = parsed.port  # noqa: F841 (raises on a bad port)
        except (httpx.InvalidURL, ValueError, TypeError):
            ok = False
        if not ok:
            raise ConfigError(
                f"--llm-url '{url}' is not an http(s) URL: give e.g. http://127.0.0.1:8000/v1"
            )
        self.url = url
        self.model = model
        where = parsed.host + (f":{parsed.port}" if parsed.port else "")
        self.name = f"openai:{model or where}"  # never the user:password part
        self.temperature = temperature
        self.seed = seed
        self.timeout = timeout
        self._n_ctx = n_ctx
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._httpx = httpx
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            trust_env=False,  # no proxy from the environment: only this URL hears the learner
        )

    def close(self) -> None:
        self._client.close()

    @property
    def context_size(self) -> int:
        return self._n_ctx

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // CHARS_PER_TOKEN)

    def prefill(
        self, turns: Sequence[ChatTurn], fixed: int = 0, *, started: str = "", whole: bool = False
    ) -> None:
        """Nothing to do: the server keeps its own prompt cache."""

    def _body(self, turns: Sequence[ChatTurn], max_tokens: int, **extra: Any) -> dict[str, Any]:
        body = {
            "messages": [{"role": t.role, "content": t.content} for t in turns],
            "max_tokens": max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
            **extra,
        }
        if self.model:
            body["model"] = self.model
        return body

    def _fail(self, err: Exception) -> ModelError:
        httpx = self._httpx
        if isinstance(err, httpx.TimeoutException):
            return ModelError(
                f"the LLM server at {self.url} did not answer within {self.timeout:.0f} s; "
                "try again, or raise llm.timeout"
            )
        if isinstance(err, httpx.HTTPStatusError):
            return ModelError(
                f"the LLM server at {self.url} answered {err.response.status_code}: "
                f"{' '.join(err.response.text.split())[:200]}"
            )
        return ModelError(
            f"cannot reach the LLM server at {self.url} ({err}); start it, or check --llm-url"
        )

    def stream(self, turns: Sequence[ChatTurn], max_tokens: int) -> Iterator[str]:
        """Yield the reply's text as the server sends it."""
        httpx = self._httpx
        body = self._body(turns, max_tokens, stream=True)
        events = 0
        try:
            with self._client.stream("POST", f"{self.url}/chat/completions", json=body) as resp:
                if not resp.is_success:
                    resp.read()
                    resp.raise_for_status()
                    raise ModelError(
                        f"the LLM server at {self.url} answered {resp.status_code} "
                        f"{resp.reason_phrase}: check --llm-url"
                    )
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    events += 1
                    if data == "[DONE]":
                        return
                    piece = self._piece(data)
                    if piece:
                        yield piece
        except httpx.HTTPError as err:
            raise self._fail(err) from None
        if not events:
            raise ModelError(
                f"the LLM server at {self.url} sent no streamed answer: is it an "
                "OpenAI-compatible /v1 endpoint?"
            )

    def _piece(self, data: str) -> str:
        try:
            chunk = json.loads(data)
            if "error" in chunk:
                raise ModelError(
                    f"the LLM server at {self.url} failed: {str(chunk['error'])[:200]}"
                )
            return ((chunk.get("choices") or [{}])[0].get("delta") or {}).get("content") or ""
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):
            log.warning("skipping a malformed event from the server: %.80s", data)
            return ""

    def complete_json(
        self, turns: Sequence[ChatTurn], schema: dict[str, Any], max_tokens: int
    ) -> dict[str, Any]:
        """One JSON object; the schema is passed as llama.cpp's servers take it."""
        body = self._body(
            turns,
            max_tokens,
            temperature=0.0,
            response_format={"type": "json_object", "schema": schema},
        )
        try:
            resp = self._client.post(f"{self.url}/chat/completions", json=body)
            resp.raise_for_status()
            content = resp.json()["choices"][0]["message"]["content"] or ""
        except self._httpx.HTTPError as err:
            raise self._fail(err) from None
        except (ValueError, KeyError, IndexError, TypeError) as err:
            raise ModelError(
                f"the LLM server at {self.url} sent an answer im4talkin cannot read ({err})"
            ) from None
        try:
            answer = json.loads(content) if isinstance(content, str) else None
        except ValueError:
            log.warning("the server's JSON answer did not parse: %.80s", content)
            return {}
        return answer if isinstance(answer, dict) else {}
