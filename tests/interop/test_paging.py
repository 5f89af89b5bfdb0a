"""taxii2-client's as_pages over a collection of several thousand objects (TAXII 2.1 §3.4: limit,
more and next; results sorted by date_added), and the date-added headers of every page."""

import pytest
from taxii2client.v21 import as_pages

from interop_support import HeaderLog, add, indicator, parse_time

COUNT = 2600


@pytest.fixture(scope="module")
def big(env):
    c = env.collection("Interop paging")
    objects = [indicator(name="paged {}".format(n), value="10.{}.{}.{}".format(n // 65536, n // 256 % 256, n % 256))
               for n in range(COUNT)]
    add(c, objects)
    return c, {o["id"] for o in objects}


def test_as_pages_objects_every_object_once_in_date_added_order(env, big):
    c, ids = big
    log = HeaderLog(c)
    pages = list(as_pages(c.get_objects, per_request=1000))
    assert [len(p.get("objects", [])) for p in pages] == [1000, 1000, COUNT - 2000]
    assert [p["more"] for p in pages] == [True, True, False]
    got = [o["id"] for p in pages for o in p["objects"]]
    assert len(got) == COUNT and set(got) == ids
    # The order: the manifest, paged the same way, gives each object's date_added.
    manifest = [m for p in as_pages(c.get_manifest, per_request=1000) for m in p.get("objects", [])]
    assert [m["id"] for m in manifest] == got
    dates = [parse_time(m["date_added"]) for m in manifest]
    assert all(a < b for a, b in zip(dates, dates[1:])), "date_added is not strictly increasing"
    # §3.4: X-TAXII-Date-Added-First/Last bound each page.
    object_pages = [r for r in log.responses if r.url.split("?")[0].endswith("/objects/")]
    assert len(object_pages) == 3
    bounds = [(parse_time(r.headers["X-TAXII-Date-Added-First"]), parse_time(r.headers["X-TAXII-Date-Added-Last"]))
              for r in object_pages]
    starts = [0, 1000, 2000]
    ends = [999, 1999, COUNT - 1]
    assert bounds == [(dates[s], dates[e]) for s, e in zip(starts, ends)]


def test_as_pages_with_more_than_the_server_page_size(big):
    # The server's max_page_size is 1000: asked for 5000 (stix2's default items_per_page), it
    # answers 1000 with more=true; the client then pages on with what it got.
    c, ids = big
    pages = list(as_pages(c.get_objects, per_request=5000))
    assert [len(p["objects"]) for p in pages] == [1000, 1000, COUNT - 2000]
    got = [o["id"] for p in pages for o in p["objects"]]
    assert len(got) == COUNT and set(got) == ids


def test_as_pages_with_a_small_page_and_a_filter(big):
    c, ids = big
    wanted = sorted(ids)[:250]
    pages = list(as_pages(c.get_objects, per_request=100, id=wanted))
    assert [len(p["objects"]) for p in pages] == [100, 100, 50]
    got = [o["id"] for p in pages for o in p["objects"]]
    assert sorted(got) == wanted


def test_paging_by_added_after_alone(big):
    # §3.4: a client may page with added_after set to the previous page's X-TAXII-Date-Added-Last
    # instead of next (what clients do when a server gives no next); it must see each object once.
    c, ids = big
    log = HeaderLog(c)
    got = []
    cursor = None
    while True:
        page = c.get_objects(limit=1000, **({"added_after": cursor} if cursor else {}))
        objects = page.get("objects", [])
        if not objects:
            assert "X-TAXII-Date-Added-Last" not in log.last.headers
            break
        got += [o["id"] for o in objects]
        cursor = log.last.headers["X-TAXII-Date-Added-Last"]
    assert len(got) == len(set(got)) == COUNT and set(got) == ids
