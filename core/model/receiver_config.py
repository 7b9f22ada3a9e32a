"""The ``[receiver]`` section of the config (``evaltop receive``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ReceiverAttributes(BaseModel):
    """Which span (then resource) attribute fills each of evaltop's own
    fields; the first one present wins. docs/receiver.md."""

    model_config = ConfigDict(extra="forbid")

    task: list[str] = Field(default_factory=lambda: ["evaltop.task"])
    prompt_version: list[str] = Field(default_factory=lambda: ["evaltop.prompt_version"])
    variant: list[str] = Field(default_factory=lambda: ["evaltop.variant"])
    user: list[str] = Field(default_factory=lambda: ["evaltop.user", "user.id", "enduser.id"])
    tags: list[str] = Field(default_factory=lambda: ["evaltop.tags"])


class ReceiverConfig(BaseModel):
    """``evaltop receive``: OTLP/HTTP on ``host:port`` (docs/receiver.md)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False  # `evaltop run` serves it too
    host: str = "127.0.0.1"
    port: int = Field(4318, ge=0, le=65535)
    token_env: str = ""  # name of the environment variable holding the bearer token
    allow_unauthenticated: bool = False  # needed to serve a non-loopback address with no token
    max_body_bytes: int = Field(16 << 20, ge=1024)  # decompressed
    max_inflight_bytes: int = Field(64 << 20, ge=1024)  # beyond: 503 + Retry-After
    source: str = "otlp"  # the source name on received rows
    workers: int | None = Field(None, ge=0)  # decoding processes; None: one per core; 0: none
    attributes: ReceiverAttributes = ReceiverAttributes()

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, v: str) -> str:
        if v and not v.replace("_", "a").isalnum():
            raise ValueError("expected the NAME of an environment variable, such as "
                             "EVALTOP_RECEIVER_TOKEN (not the token itself)")
        return v
