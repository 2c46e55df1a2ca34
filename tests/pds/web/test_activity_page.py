"""The activity page tells a person what organisations did with their records, and only theirs."""

from __future__ import annotations

from typing import Any

import pytest

from pds.app import Services
from tests.conftest import sign_up
from tests.oauth_support import PHONE, bearer, obtain_tokens, register


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_organisation_reads_are_shown_and_can_be_singled_out(
    client: Any, new_client: Any, services: Services
) -> None:
    sign_up(client, "activity@example.org")
    phone = client.post("/api/v1/me/records", json=PHONE).json()
    ngo = register(services, name="Sahayak Health Trust")
    tokens = obtain_tokens(client, ngo, "contact.phone:read")
    read = client.get(f"/api/v1/records/{phone['id']}", headers=bearer(tokens["access_token"]))
    assert read.status_code == 200
    for _ in range(3):  # the person's own looking about, which the filter leaves out
        client.get(f"/records/{phone['id']}")

    at_first = client.get("/activity").text
    assert "Sahayak Health Trust</strong> looked at a record: Phone numbers" in at_first
    # The person's own looking does not bury what others did (found in review); what they gave
    # and their sign-ins stay.
    assert "You</strong> looked at a record" not in at_first
    assert "You</strong> gave Sahayak Health Trust access to" in at_first
    assert "You</strong> created the account" in at_first
    everything = client.get("/activity?organisation=all").text
    assert "You</strong> looked at a record" in everything
    assert "Sahayak Health Trust</strong> looked at a record" in everything
    only_ngos = client.get("/activity?organisation=any").text
    assert "Sahayak Health Trust</strong> looked at a record" in only_ngos
    assert "You</strong>" not in only_ngos
    assert "Nothing matches" in client.get("/activity?outcome=denied&organisation=any").text
    assert "Sahayak" in client.get("/activity?outcome=&organisation=").text  # the form's "any"

    # Another person sees none of it.
    stranger = new_client()
    sign_up(stranger, "stranger@example.org")
    assert "Sahayak" not in stranger.get("/activity").text
