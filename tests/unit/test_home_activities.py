from datetime import UTC, datetime, timedelta

ACTIVITY_KEYS = {
    "uuid",
    "handle",
    "message",
    "created_at",
    "expires_at",
    "likes_count",
    "replies_count",
    "reposts_count",
    "replies",
}
REPLY_KEYS = {
    "uuid",
    "reply_to_activity_uuid",
    "handle",
    "message",
    "likes_count",
    "replies_count",
    "reposts_count",
    "created_at",
}
# Sampled=1 makes the X-Ray middleware record the request whatever the sampling rules say.
XRAY_HEADER = {"X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"}


def test_home_returns_the_mock_activities_with_their_shape(app):
    response = app.test_client().get("/api/activities/home")

    assert response.status_code == 200
    activities = response.get_json()
    assert [a["handle"] for a in activities] == ["Andrew Brown", "Worf", "Garek"]
    assert [set(activity) for activity in activities] == [ACTIVITY_KEYS] * 3
    [reply] = activities[0]["replies"]  # the exercise's one reply, to Andrew's post
    assert set(reply) == REPLY_KEYS
    assert (reply["reply_to_activity_uuid"], reply["handle"]) == (activities[0]["uuid"], "Worf")
    assert activities[0]["replies_count"] == 1


def test_home_times_are_relative_to_now(app):
    before = datetime.now(UTC)
    first = app.test_client().get("/api/activities/home").get_json()[0]

    created = datetime.fromisoformat(first["created_at"])
    expires = datetime.fromisoformat(first["expires_at"])
    assert before - timedelta(days=2, seconds=5) <= created <= before - timedelta(days=2) + timedelta(seconds=5)
    assert expires - created == timedelta(days=7)


def test_home_records_the_custom_span_with_its_attributes(app, spans):
    before = datetime.now(UTC)
    app.test_client().get("/api/activities/home")

    [span] = [s for s in spans.get_finished_spans() if s.name == "home-activities-mock-data"]
    assert span.attributes["app.result_length"] == 3
    recorded_now = datetime.fromisoformat(span.attributes["app.now"])
    assert before <= recorded_now <= datetime.now(UTC)


def test_home_records_an_xray_subsegment_with_annotations(app, xray_segments):
    app.test_client().get("/api/activities/home", headers=XRAY_HEADER)

    [segment] = xray_segments
    assert segment.name == "backend-flask"
    assert segment.trace_id == "1-5759e988-bd862e3fe1be46a994272793"
    [subsegment] = [s for s in segment.subsegments if s.name == "home-activities-mock-data"]
    assert subsegment.annotations["app_result_length"] == 3
    assert "app_now" in subsegment.annotations


def test_health_answers_and_is_never_sampled_by_xray(app, xray_segments):
    # The HealthChecks rule of the local fallback rules (obslab_common/xray-sampling-rules.json).
    response = app.test_client().get("/health")
    app.test_client().get("/api/activities/home", headers=XRAY_HEADER)

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert [segment.trace_id for segment in xray_segments] == ["1-5759e988-bd862e3fe1be46a994272793"]
