"""JSON request bodies with a nesting limit: a deeper document is a 400 problem, not a crash."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def _depth(document) -> int:
    """How deeply arrays and objects nest in a parsed document (0 for a scalar), iteratively."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        node, level = pending.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, level)
        pending.extend((child, level + 1) for child in node)
    return deepest


def _too_deep() -> ParseError:
    return ParseError(
        _("The JSON body is nested too deeply: at most %(depth)d levels.")
        % {"depth": MAX_JSON_DEPTH}
    )


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing documents nested deeper than ``MAX_JSON_DEPTH``."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            document = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        if _depth(document) > MAX_JSON_DEPTH:
            raise _too_deep()
        return document
