"""Pure rules: which files each provider carries, template rendering, the customer service window."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.connectors.media_rules import MB, content_type_of, outbound_limit
from server.domain.templates import render, variable_count
from server.domain.window import NEVER_OPENED, window_closes_at, window_open
from server.errors import Invalid


def test_limits_are_whatsapps_per_type_capped_by_the_provider_and_the_admin():
    assert outbound_limit("meta", "image/png", 25) == ("image", 5 * MB)
    assert outbound_limit("meta", "application/pdf", 25) == ("document", 25 * MB)
    assert outbound_limit("twilio", "application/pdf", 25) == ("document", 16 * MB)
    assert outbound_limit("sinch", "image/webp", 25) == ("sticker", 100 * 1024)
    assert outbound_limit("kaleyra", "video/mp4", 15) == ("video", 15 * MB)
    with pytest.raises(Invalid) as refused:
        outbound_limit("meta", "image/gif", 15)
    assert refused.value.code == "unsupported_media" and "image/gif" in refused.value.message


def test_a_files_type_is_its_declared_one_or_guessed_from_its_name():
    assert content_type_of("image/PNG; charset=binary", "x.bin") == "image/png"
    assert content_type_of("application/octet-stream", "offer.pdf") == "application/pdf"
    assert content_type_of("", "noext") == "application/octet-stream"


def test_templates_take_exactly_one_one_line_value_per_variable():
    body = "Hi {{1}}, your order {{2}} ships {{ 1 }}-wise."
    assert variable_count(body) == 2 and variable_count("no variables") == 0
    assert render(body, ["Ada", "A-17"]) == "Hi Ada, your order A-17 ships Ada-wise."
    for wrong in ([], ["Ada"], ["Ada", "A-17", "extra"], ["Ada", ""], ["Ada", "two\nlines"]):
        with pytest.raises(Invalid):
            render(body, wrong)


def test_the_window_is_24_hours_for_meta_and_kaleyra_and_what_the_account_says_otherwise():
    last = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
    assert window_closes_at("meta", None, last) == last + timedelta(hours=24)
    assert window_closes_at("kaleyra", None, last) == last + timedelta(hours=24)
    assert window_closes_at("twilio", None, last) is None and window_closes_at("meta", 0, last) is None
    assert window_closes_at("sinch", 48, last) == last + timedelta(hours=48)
    assert window_closes_at("meta", None, None) == NEVER_OPENED
    closes = window_closes_at("meta", None, last)
    assert window_open(closes, last + timedelta(hours=23, minutes=59))
    assert not window_open(closes, last + timedelta(hours=24))
    assert window_open(None, last + timedelta(days=400))
