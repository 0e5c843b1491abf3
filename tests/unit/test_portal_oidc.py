"""Reading the OpenID Connect provider's claims into a portal account's terms."""

from __future__ import annotations

import pytest

from services.portal.oidc import NotUsable, meria_roles, person_from


def test_the_readable_user_name_comes_first_and_unknown_roles_are_dropped() -> None:
    person = person_from(
        {"sub": "c1d2", "preferred_username": " Levan.Kapanadze ", "name": "ლევან კაპანაძე",
         "email": "not an address", "locale": "ka-GE",
         "roles": ["legal_reviewer", "system", "domain_admin", 7]},
        "roles",
    )  # fmt: skip
    assert person.username == "levan.kapanadze"
    assert person.display_name == "ლევან კაპანაძე"
    assert person.email is None and person.language == "ka"
    # `system` is the workflows' own role: no person may hold it.
    assert person.roles == ["legal_reviewer"]


def test_the_subject_stands_in_when_the_user_name_is_unusable() -> None:
    person = person_from({"sub": "9b1e0c7a-4f", "preferred_username": "ნინო"}, "roles")
    assert person.username == "9b1e0c7a-4f" and person.display_name == "9b1e0c7a-4f"
    assert person.roles == []
    with pytest.raises(NotUsable):
        person_from({"sub": "მერი", "preferred_username": ""}, "roles")


def test_roles_from_a_nested_claim_or_a_space_separated_string() -> None:
    keycloak = {"realm_access": {"roles": ["mayor", "offline_access"]}}
    assert meria_roles(keycloak, "realm_access.roles") == ["mayor"]
    assert meria_roles({"groups": "editor media_officer staff"}, "groups") == [
        "editor", "media_officer",
    ]  # fmt: skip
    assert meria_roles({"roles": {"editor": True}}, "roles") == []
    assert meria_roles({}, "realm_access.roles") == []
