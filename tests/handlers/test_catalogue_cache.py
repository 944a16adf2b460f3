"""GET /catalogue holds a national wave: its pages are kept in the function for a short time, so that millions of
patients do not all Query the catalogue's one partition (docs/scale.md)."""


def queries(api) -> list[str]:
    seen: list[str] = []
    api.container.clients("dynamodb").meta.events.register(
        "provide-client-params.dynamodb.Query", lambda params, **_: seen.append(params["TableName"]))
    return seen


def test_the_public_listing_is_read_once_per_function_while_it_is_fresh_and_a_change_shows_at_once(api):
    body = {"app_id": "glyco", "name": "Glyco", "category": "prevention",
            "data_access": [{"category": "measurements", "access": "write"}]}
    assert api.post("/catalogue", api.agent, body).status == 201
    seen = queries(api)
    catalogue = api.settings.table("catalogue")
    for _ in range(50):  # fifty patients open the catalogue
        assert [a["app_id"] for a in api.get("/catalogue").json["items"]] == ["glyco"]
    assert seen.count(catalogue) == 1
    assert api.patch("/catalogue/glyco", api.agent, {"status": "suspended"}).status == 200
    assert api.get("/catalogue?status=suspended").json["items"][0]["status"] == "suspended"  # at once, here
    assert api.get("/catalogue").json["items"][0]["status"] == "suspended"


def test_a_change_made_by_another_function_shows_once_the_kept_page_is_stale(api):
    repo = api.container.catalogue.apps
    now = [1000.0]
    repo.clock = lambda: now[0]
    assert api.get("/catalogue").json["items"] == []
    api.container.clients("dynamodb").put_item(TableName=api.settings.table("catalogue"), Item={
        "pk": {"S": "CATALOGUE"}, "sk": {"S": "APP#other"}, "app_id": {"S": "other"}, "name": {"S": "Other"},
        "category": {"S": "prevention"}, "status": {"S": "online"}, "data_access": {"L": []}})
    assert api.get("/catalogue").json["items"] == []  # another instance wrote it: not seen within the TTL
    now[0] += repo.listing_seconds + 1
    assert [a["app_id"] for a in api.get("/catalogue").json["items"]] == ["other"]
