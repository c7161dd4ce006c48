"""Translate `_("a literal")` once, when a template is compiled.

Each interface language has its own Jinja2 environment (`templates.py`), so
a message without variables can be replaced by its translation in the token
stream: the page then costs no gettext call per message. Messages with
variables (`_("%(n)s more", n=...)`, `{% trans %}`) stay runtime calls.
Babel extracts messages from the template source, so nothing changes there.
"""

from __future__ import annotations

from collections.abc import Iterator

from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

_PATTERN = ("name", "lparen", "string", "rparen")


class StaticGettext(Extension):
    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:  # type: ignore[override]
        translate = getattr(self.environment, "static_gettext", None)
        pending: list[Token] = []
        for token in stream:
            pending.append(token)
            if self._could_match(pending):
                if len(pending) == len(_PATTERN) and translate is not None:
                    yield Token(pending[0].lineno, "string", translate(pending[2].value))
                    pending = []
                continue
            last = pending.pop()
            yield from pending
            pending = [last] if self._could_match([last]) else []
            if not pending:
                yield last
        yield from pending

    @staticmethod
    def _could_match(tokens: list[Token]) -> bool:
        if len(tokens) > len(_PATTERN):
            return False
        if any(t.type != want for t, want in zip(tokens, _PATTERN, strict=False)):
            return False
        return tokens[0].value == "_"
