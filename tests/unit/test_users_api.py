import pytest


@pytest.mark.parametrize(
    "handle, status, expected",
    [
        ("worf", 200, {"handle": "worf", "display_name": "Worf"}),
        ("AndrewBrown", 200, {"handle": "andrewbrown", "display_name": "Andrew Brown"}),
        ("nobody", 404, {"errors": ["user_not_found"]}),
        ("bad-handle!", 422, {"errors": ["user_handle_invalid"]}),
        ("x" * 33, 422, {"errors": ["user_handle_invalid"]}),
    ],
)
def test_profile_lookup(users_app, handle, status, expected):
    response = users_app.test_client().get(f"/users/@{handle}")

    assert response.status_code == status
    body = response.get_json()
    assert {key: body[key] for key in expected} == expected


def test_lookup_records_its_span(users_app, spans):
    users_app.test_client().get("/users/@garek")
    users_app.test_client().get("/users/@nobody")

    lookups = [s for s in spans.get_finished_spans() if s.name == "users-directory-lookup"]
    assert [(s.attributes["app.user.handle"], s.attributes["app.user.found"]) for s in lookups] == [
        ("garek", True),
        ("nobody", False),
    ]
