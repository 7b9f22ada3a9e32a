"""Secret and PII redaction for text that leaves the store (corpus, judges).

Each finding becomes a typed placeholder: ``[EMAIL]``, ``[PHONE]``, ``[CARD]``,
``[API_KEY]``, ``[TOKEN]`` (bearer tokens, JWTs), ``[PRIVATE_KEY]`` (PEM blocks),
``[CREDENTIAL]`` (the value of an ``Authorization:`` header), ``[SECRET]``
(``password=...``-style assignments), ``[IP]``. Passes run in a fixed order so
a longer, more specific shape (a header, a key) is consumed before a looser one
(a phone number) can take part of it.

Every pattern is linear-time on hostile input: each can only start where the
previous character cannot continue it (lookbehind), and unbounded runs are
possessive, so a megabyte of digits or letters costs one scan.

What is *not* redacted on purpose: bare digit runs without separators (order
ids, timestamps), years, prices, dates, times and MAC addresses. A card number
is redacted only when its digits pass the Luhn check.

Callers that must never leak use :func:`safe_redact`: any exception hides the
whole value instead of passing it through.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

FAILED = "[REDACTED: redaction failed]"

# Keys whose value is a secret whatever it looks like (redact_obj).
SECRET_KEYS = frozenset({
    "authorization", "proxy-authorization", "x-api-key", "api-key", "api_key", "apikey",
    "password", "passwd", "secret", "client_secret", "access_token", "refresh_token",
    "token", "auth_token", "cookie", "set-cookie",
})

_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization)(\"?\s*[:=]\s*\"?)([^\r\n\"]+)"
)
_ASSIGN = re.compile(
    r"(?i)\b(api[_-]?key|x-api-key|client[_-]?secret|access[_-]?token|refresh[_-]?token"
    r"|auth[_-]?token|(?:aws[_-]?)?secret(?:[_-]?access)?[_-]?key|password|passwd|pwd)(\"?\s*[:=]\s*\"?)([^\s\"',;]{4,})"
)
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=-]{8,}+)")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]*+")
_KEYS = re.compile(
    r"(?<![A-Za-z0-9_-])(?:"
    r"sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}+"  # OpenAI / Anthropic
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{20,}+|github_pat_[A-Za-z0-9_]{20,}+"  # GitHub
    r"|xox[abposr]-[A-Za-z0-9-]{10,}+"  # Slack
    r"|AIza[0-9A-Za-z_-]{35}"  # Google
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}+"  # Stripe
    r"|glpat-[A-Za-z0-9_-]{20,}+"  # GitLab
    r"|hf_[A-Za-z0-9]{30,}+"  # Hugging Face
    r")"
)
_EMAIL = re.compile(
    # The label group may give back its last dot: "a@b.example.com." ends a sentence.
    # \w is Unicode: "josé@exämple.de" is an address too.
    r"(?<![\w.%+-])[\w.%+-]++@[^\W_](?:[\w-]{0,62}+\.)+[^\W\d_]{2,24}+"
)
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?!\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d(?:[ .()-]{0,2}\d){6,14}(?!\d)")
_PHONE_NANP = re.compile(
    r"(?<![\w+.-])(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|\.\d)"
)
_PHONE_NATIONAL = re.compile(r"(?<![\w+.-])0\d{1,4}(?:[ -]\d{2,8}){1,4}(?![\w-]|\.\d)")


_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----")


def _private_keys(text: str) -> str:
    """PEM private key blocks -> [PRIVATE_KEY]; an unterminated block hides
    the rest of the text. One forward scan (no regex backtracking over bodies)."""
    out, pos = [], 0
    while (m := _PEM_BEGIN.search(text, pos)) is not None:
        out.append(text[pos:m.start()])
        out.append("[PRIVATE_KEY]")
        end = _PEM_END.search(text, m.end())
        if end is None:
            return "".join(out)
        pos = end.end()
    out.append(text[pos:])
    return "".join(out)


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` (only 0-9) passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _card(m: re.Match) -> str:
    d = _digits(m.group(0))
    if 13 <= len(d) <= 19 and luhn_ok(d):
        return "[CARD]"
    return m.group(0)


def _ipv6(m: re.Match) -> str:
    s = m.group(0)
    if sum(c in "0123456789abcdefABCDEF" for c in s) < 3:
        return s
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return s
    return "[IP]"


def _phone_digits(lo: int, hi: int) -> Callable[[re.Match], str]:
    def repl(m: re.Match) -> str:
        n = len(_digits(m.group(0)))
        return "[PHONE]" if lo <= n <= hi else m.group(0)

    return repl


_DIGIT = re.compile(r"\d")
# (pattern, replacement, trigger): a pass runs only when its trigger occurs in
# the original text (placeholders never add one), which skips most passes on
# most texts. None = always run.
_PASSES: tuple[tuple[re.Pattern, str | Callable[[re.Match], str], re.Pattern | None], ...] = (
    (_HEADER, r"\1\2[CREDENTIAL]", re.compile(r"(?i)authorization")),
    (_JWT, "[TOKEN]", re.compile("eyJ")),
    (_KEYS, "[API_KEY]", None),
    (_BEARER, r"\1\2[TOKEN]", re.compile(r"(?i)bearer")),
    (_ASSIGN, r"\1\2[SECRET]", re.compile(r"(?i)key|secret|token|pass|pwd")),
    (_EMAIL, "[EMAIL]", re.compile("@")),
    (_CARD, _card, _DIGIT),
    (_IPV6, _ipv6, re.compile(":")),
    (_IPV4, "[IP]", _DIGIT),
    (_PHONE_INTL, _phone_digits(8, 15), _DIGIT),
    (_PHONE_NANP, "[PHONE]", _DIGIT),
    (_PHONE_NATIONAL, _phone_digits(9, 12), _DIGIT),
)


def redact_text(text: str) -> str:
    """``text`` with secrets and PII replaced by typed placeholders."""
    if not isinstance(text, str):
        raise TypeError(f"redact_text expects str, got {type(text).__name__}")
    if "PRIVATE KEY-----" in text:
        text = _private_keys(text)
    seen: dict[re.Pattern, bool] = {}
    original = text
    for pattern, repl, trigger in _PASSES:
        if trigger is not None:
            hit = seen.get(trigger)
            if hit is None:
                hit = seen[trigger] = trigger.search(original) is not None
            if not hit:
                continue
        text = pattern.sub(repl, text)
    return text


def redact_obj(obj: Any) -> Any:
    """A copy of a JSON-like value with every string redacted.

    Values under a secret-named key (``api_key``, ``authorization``...) are
    replaced whole. Numbers, booleans and None pass through.
    """
    if isinstance(obj, str):
        return redact_text(obj)
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(k, str) and k.lower() in SECRET_KEYS and isinstance(v, str) and v:
                out[k] = "[SECRET]"
            else:
                out[k] = redact_obj(v)
        return out
    if isinstance(obj, list | tuple):
        return [redact_obj(v) for v in obj]
    return obj


def safe_redact(text: str) -> str:
    """:func:`redact_text`, but a failure hides the value instead of leaking it."""
    try:
        return redact_text(text)
    except Exception:
        return FAILED

