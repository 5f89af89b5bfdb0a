"""Objects, manifests, versions, add, status and delete through taxii2-client's Collection and
ApiRoot (TAXII 2.1 §4.3, §5.3 to §5.8), with every filter the client can send (§3.4: added_after,
limit, next, match[id], match[type], match[version], match[spec_version])."""

import pytest
from requests.exceptions import HTTPError
from taxii2client.v21 import as_pages

from interop_support import STIX_21, HeaderLog, add, at, indicator, malware, new_id, parse_time


class Seeded:
    """What the module's fixture added to the filters collection, in two envelopes."""


@pytest.fixture(scope="module")
def seeded(env):
    c = env.collection("Interop filters")
    s = Seeded()
    s.collection = c
    s.a = new_id("indicator")  # three versions: v1 in the first envelope, v2 and v3 in the second
    s.b = new_id("malware")
    s.c = new_id("indicator")
    s.r = new_id("relationship")
    s.a_versions = [at(1), at(2), at(3)]
    first = [indicator(s.a, created=at(1), name="A v1"), malware(s.b), indicator(s.c, created=at(5), name="C")]
    add(c, first)
    # The end of the first envelope, read back as a client would: the manifest's date_added.
    manifest = c.get_manifest(version="all")["objects"]
    s.after_first = max(parse_time(m["date_added"]) for m in manifest)
    second = [
        indicator(s.a, created=at(1), modified=at(2), name="A v2"),
        indicator(s.a, created=at(1), modified=at(3), name="A v3"),
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": s.r,
            "created": at(4),
            "modified": at(4),
            "relationship_type": "indicates",
            "source_ref": s.a,
            "target_ref": s.b,
        },
    ]
    add(c, second)
    s.all_ids = {s.a, s.b, s.c, s.r}
    return s


def versions_of(envelope):
    """(id, modified) of each object of an envelope; {} (nothing matched) gives an empty list."""
    return [(o["id"], o["modified"]) for o in envelope.get("objects", [])]


def same_instant(a, b):
    return parse_time(a) == parse_time(b)


def test_get_objects_without_filters_gives_the_latest_version_of_each(seeded):
    env = seeded.collection.get_objects()
    assert env.get("more") is False
    got = dict(versions_of(env))
    assert set(got) == seeded.all_ids
    assert same_instant(got[seeded.a], at(3))


def test_added_after(seeded):
    env = seeded.collection.get_objects(added_after=seeded.after_first)
    # §3.4: strictly after; A's latest version arrived with the second envelope.
    assert sorted(versions_of(env)) == sorted([(seeded.a, at(3)), (seeded.r, at(4))])
    every = seeded.collection.get_objects(added_after=seeded.after_first, version="all")
    assert sorted(i for i, _ in versions_of(every)) == sorted([seeded.a, seeded.a, seeded.r])


def test_added_after_as_a_string_and_far_in_the_future(seeded):
    assert seeded.collection.get_objects(added_after="2999-01-01T00:00:00Z").get("objects", []) == []
    everything = seeded.collection.get_objects(added_after="2000-01-01T00:00:00.000Z")
    assert {i for i, _ in versions_of(everything)} == seeded.all_ids


def test_match_id(seeded):
    one = seeded.collection.get_objects(id=seeded.b)
    assert [o["id"] for o in one["objects"]] == [seeded.b]
    # The client joins a list with commas: match[id]=a,b
    two = seeded.collection.get_objects(id=[seeded.a, seeded.c])
    assert {o["id"] for o in two["objects"]} == {seeded.a, seeded.c}
    assert seeded.collection.get_objects(id=new_id("indicator")).get("objects", []) == []


def test_match_type(seeded):
    ind = seeded.collection.get_objects(type="indicator")
    assert {o["id"] for o in ind["objects"]} == {seeded.a, seeded.c}
    several = seeded.collection.get_objects(type=["malware", "relationship"])
    assert {o["id"] for o in several["objects"]} == {seeded.b, seeded.r}
    assert seeded.collection.get_objects(type="campaign").get("objects", []) == []


@pytest.mark.parametrize(
    "version, expected",
    [
        ("first", [1]),
        ("last", [3]),
        ("all", [1, 2, 3]),
        ("first,last", [1, 3]),
    ],
)
def test_match_version_keywords(seeded, version, expected):
    env = seeded.collection.get_objects(id=seeded.a, version=version)
    got = sorted(parse_time(m) for _, m in versions_of(env))
    assert got == sorted(parse_time(at(n)) for n in expected)


def test_match_version_timestamps(seeded):
    # An exact version, written with more fraction digits than it was stored with (§3.4.1: versions
    # are timestamps, compared as instants).
    exact = at(2).replace("Z", "000Z")
    env = seeded.collection.get_objects(id=seeded.a, version=exact)
    assert versions_of(env) == [(seeded.a, at(2))]
    pair = seeded.collection.get_objects(version=[at(1), at(3)], type="indicator")
    assert sorted(versions_of(pair)) == sorted([(seeded.a, at(1)), (seeded.a, at(3))])
    # A datetime is formatted by the client itself.
    as_datetime = seeded.collection.get_objects(id=seeded.a, version=parse_time(at(1)))
    assert versions_of(as_datetime) == [(seeded.a, at(1))]
    assert seeded.collection.get_objects(id=seeded.a, version=at(30)).get("objects", []) == []


def test_match_spec_version(seeded):
    all21 = seeded.collection.get_objects(spec_version="2.1")
    assert {o["id"] for o in all21["objects"]} == seeded.all_ids
    # Only STIX 2.1 objects are stored, so a 2.0 filter matches nothing.
    assert seeded.collection.get_objects(spec_version="2.0").get("objects", []) == []
    both = seeded.collection.get_objects(spec_version=["2.0", "2.1"])
    assert {o["id"] for o in both["objects"]} == seeded.all_ids


def test_limit_and_next(seeded):
    c = seeded.collection
    first = c.get_objects(version="all", limit=2)
    assert len(first["objects"]) == 2
    assert first["more"] is True and first["next"]
    seen = versions_of(first)
    page = first
    while page.get("more"):
        page = c.get_objects(version="all", limit=2, next=page["next"])
        seen += versions_of(page)
    assert len(seen) == 6 and len(set(seen)) == 6
    assert {i for i, _ in seen} == seeded.all_ids
    # The same through the client's pager.
    paged = [o for env in as_pages(c.get_objects, per_request=2, version="all") for o in env.get("objects", [])]
    assert [(o["id"], o["modified"]) for o in paged] == seen


def test_next_with_filters_and_a_changed_limit(seeded):
    c = seeded.collection
    first = c.get_objects(type="indicator", version="all", limit=1)
    assert first["more"] is True
    # §3.4: the server owns the cursor; Palisade lets limit change between pages.
    rest = c.get_objects(type="indicator", version="all", limit=10, next=first["next"])
    assert rest["more"] is False
    got = versions_of(first) + versions_of(rest)
    assert sorted(got) == sorted([(seeded.a, at(1)), (seeded.a, at(2)), (seeded.a, at(3)), (seeded.c, at(5))])


def test_next_with_other_filters_is_refused(seeded):
    first = seeded.collection.get_objects(type="indicator", limit=1)
    with pytest.raises(HTTPError) as err:
        seeded.collection.get_objects(type="malware", limit=1, next=first["next"])
    assert err.value.response.status_code == 400


def test_get_object(seeded):
    c = seeded.collection
    assert versions_of(c.get_object(seeded.a)) == [(seeded.a, at(3))]
    assert sorted(versions_of(c.get_object(seeded.a, version="all"))) == [(seeded.a, at(n)) for n in (1, 2, 3)]
    assert versions_of(c.get_object(seeded.a, version="first")) == [(seeded.a, at(1))]
    assert versions_of(c.get_object(seeded.a, version=at(2))) == [(seeded.a, at(2))]
    assert versions_of(c.get_object(seeded.a, added_after=seeded.after_first, version="all")) == [
        (seeded.a, at(2)),
        (seeded.a, at(3)),
    ]
    paged = c.get_object(seeded.a, version="all", limit=2)
    assert len(paged["objects"]) == 2 and paged["more"] is True
    rest = c.get_object(seeded.a, version="all", limit=2, next=paged["next"])
    assert len(rest["objects"]) == 1 and rest["more"] is False
    with pytest.raises(HTTPError) as err:
        c.get_object(new_id("indicator"))
    assert err.value.response.status_code == 404


def test_object_versions(seeded):
    c = seeded.collection
    res = c.object_versions(seeded.a)
    assert res["more"] is False
    assert [parse_time(v) for v in res["versions"]] == [parse_time(at(n)) for n in (1, 2, 3)]
    later = c.object_versions(seeded.a, added_after=seeded.after_first)
    assert [parse_time(v) for v in later["versions"]] == [parse_time(at(n)) for n in (2, 3)]
    page = c.object_versions(seeded.a, limit=2)
    assert len(page["versions"]) == 2 and page["more"] is True
    rest = c.object_versions(seeded.a, limit=2, next=page["next"])
    assert [parse_time(v) for v in page["versions"] + rest["versions"]] == [parse_time(at(n)) for n in (1, 2, 3)]
    assert [parse_time(v) for v in c.object_versions(seeded.b)["versions"]] == [parse_time(at(0))]


def test_get_manifest(seeded):
    c = seeded.collection
    manifest = c.get_manifest()
    records = manifest["objects"]
    assert {m["id"] for m in records} == seeded.all_ids
    for m in records:
        assert m["media_type"] == STIX_21
        parse_time(m["date_added"])
    dates = [parse_time(m["date_added"]) for m in records]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    a = [m for m in records if m["id"] == seeded.a]
    assert len(a) == 1 and same_instant(a[0]["version"], at(3))


def test_date_added_headers_of_manifest_and_versions(seeded):
    # §3.4: the manifest, objects and versions endpoints report the first and last date_added of
    # the page they return.
    c = seeded.collection
    log = HeaderLog(c)
    records = c.get_manifest(version="all")["objects"]
    headers = log.last.headers
    assert parse_time(headers["X-TAXII-Date-Added-First"]) == parse_time(records[0]["date_added"])
    assert parse_time(headers["X-TAXII-Date-Added-Last"]) == parse_time(records[-1]["date_added"])
    a_dates = [parse_time(m["date_added"]) for m in records if m["id"] == seeded.a]
    c.object_versions(seeded.a)
    headers = log.last.headers
    assert parse_time(headers["X-TAXII-Date-Added-First"]) == min(a_dates)
    assert parse_time(headers["X-TAXII-Date-Added-Last"]) == max(a_dates)
    c.get_object(seeded.a, version="all")
    assert parse_time(log.last.headers["X-TAXII-Date-Added-Last"]) == max(a_dates)


def test_get_manifest_with_filters(seeded):
    c = seeded.collection
    all_a = c.get_manifest(id=seeded.a, version="all")["objects"]
    assert sorted(parse_time(m["version"]) for m in all_a) == [parse_time(at(n)) for n in (1, 2, 3)]
    ind = c.get_manifest(type="indicator", version="first")["objects"]
    assert sorted((m["id"], parse_time(m["version"])) for m in ind) == sorted(
        [(seeded.a, parse_time(at(1))), (seeded.c, parse_time(at(5)))]
    )
    later = c.get_manifest(added_after=seeded.after_first)["objects"]
    assert {m["id"] for m in later} == {seeded.a, seeded.r}
    assert {m["id"] for m in c.get_manifest(spec_version="2.1")["objects"]} == seeded.all_ids
    first = c.get_manifest(version="all", limit=4)
    assert len(first["objects"]) == 4 and first["more"] is True
    rest = c.get_manifest(version="all", limit=4, next=first["next"])
    assert len(rest["objects"]) == 2 and rest["more"] is False
    paged = [m for env in as_pages(c.get_manifest, per_request=4, version="all") for m in env.get("objects", [])]
    assert paged == first["objects"] + rest["objects"]


def test_add_objects_waits_for_completion(env):
    c = env.collection("Interop writes")
    objects = [indicator(value="192.0.2.{}".format(n)) for n in range(1, 26)] + [malware()]
    status = add(c, objects)
    assert status.failure_count == 0 and status.pending_count == 0
    assert {s["id"] for s in status.successes} == {o["id"] for o in objects}
    stored = c.get_objects(id=[o["id"] for o in objects])
    assert {o["id"] for o in stored["objects"]} == {o["id"] for o in objects}
    # Posting the same objects again is a success too (already present).
    assert add(c, objects[:3]).success_count == 3


def test_add_objects_reports_invalid_objects_one_by_one(env):
    c = env.collection("Interop writes")
    good = indicator()
    bad = indicator()
    del bad["pattern"]
    status = c.add_objects({"objects": [good, bad]}, poll_interval=0.05, timeout=60)
    assert status.status == "complete"
    assert (status.total_count, status.success_count, status.failure_count) == (2, 1, 1)
    assert [f["id"] for f in status.failures] == [bad["id"]]
    assert status.failures[0].get("message")
    assert [o["id"] for o in c.get_objects(id=[good["id"], bad["id"]])["objects"]] == [good["id"]]


def test_get_status(env, api_root):
    c = env.collection("Interop writes")
    objects = [indicator() for _ in range(5)]
    queued = c.add_objects({"objects": objects}, wait_for_completion=False)
    assert queued.status in ("pending", "complete")
    assert queued.total_count == 5
    final = api_root.get_status(queued.id)
    final.wait_until_final(poll_interval=0.05, timeout=60)
    assert final.id == queued.id
    assert final.status == "complete"
    assert (final.total_count, final.success_count, final.failure_count, final.pending_count) == (5, 5, 0, 0)
    assert final.request_timestamp
    with pytest.raises(HTTPError) as err:
        api_root.get_status("00000000-0000-4000-8000-000000000000")
    assert err.value.response.status_code == 404


def test_delete_object(env):
    c = env.collection("Interop writes")
    x = new_id("indicator")
    add(c, [indicator(x, created=at(1), modified=at(m)) for m in (1, 2, 3)])
    other = indicator()
    add(c, [other])
    # One exact version.
    c.delete_object(x, version=at(1))
    assert [parse_time(v) for v in c.object_versions(x)["versions"]] == [parse_time(at(2)), parse_time(at(3))]
    # Without match[version] the latest version is selected (§3.4.1: the default is last), so it
    # goes and the one before becomes the latest.
    c.delete_object(x)
    assert versions_of(c.get_object(x)) == [(x, at(2))]
    c.delete_object(x, version="all")
    with pytest.raises(HTTPError) as err:
        c.get_object(x)
    assert err.value.response.status_code == 404
    assert x not in {m["id"] for m in c.get_manifest(id=x).get("objects", [])}
    # Other objects are untouched.
    assert versions_of(c.get_object(other["id"])) == [(other["id"], other["modified"])]
    # Deleting what is not there is a 404.
    with pytest.raises(HTTPError) as err:
        c.delete_object(x)
    assert err.value.response.status_code == 404
