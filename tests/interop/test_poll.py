"""A Microsoft Sentinel-style poller: each poll asks for get_objects with added_after = the
X-TAXII-Date-Added-Last header of the last page the previous poll received, follows every page
through `next`, and keeps its cursor when a poll brings nothing. Objects (and new versions of
earlier ones) are added between polls and, once, between two pages of one poll. Nothing may be
delivered twice and nothing may be missed (TAXII 2.1 §3.4: added_after is strictly after; the
date-added headers bound each page)."""

import threading
import time

from taxii2client.common import TokenAuth

from interop_support import HeaderLog, add, at, indicator, parse_time

PAGE = 7
WRITER_ROUNDS = 4


class Poller:
    """The connector: a token, a read-only collection, a cursor kept between polls."""

    def __init__(self, env):
        self.collection = env.collection("Interop feed", auth=TokenAuth(env.token))
        self.headers = HeaderLog(self.collection)
        self.cursor = None
        self.delivered = []
        self.pages = 0

    def poll(self, between_pages=None):
        kwargs = {"limit": PAGE}
        if self.cursor is not None:
            kwargs["added_after"] = self.cursor
        page = self.collection.get_objects(**kwargs)
        newest = None
        pages_this_poll = 0
        while True:
            pages_this_poll += 1
            self.pages += 1
            objects = page.get("objects", [])
            response = self.headers.last
            if objects:
                first = response.headers["X-TAXII-Date-Added-First"]
                last = response.headers["X-TAXII-Date-Added-Last"]
                assert parse_time(first) <= parse_time(last)
                if self.cursor is not None:
                    assert parse_time(first) > parse_time(self.cursor), "a page starts at or before added_after"
                if newest is not None:
                    assert parse_time(first) > parse_time(newest), "pages overlap"
                newest = last
                self.delivered.extend((o["id"], o["modified"]) for o in objects)
            else:
                # §3.4: an empty page has no first or last date_added to report.
                assert "X-TAXII-Date-Added-Last" not in response.headers
            if not page.get("more"):
                break
            if between_pages is not None and pages_this_poll == 1:
                between_pages()
            page = self.collection.get_objects(next=page["next"], **kwargs)
        if newest is not None:
            self.cursor = newest
        return pages_this_poll


def test_sentinel_style_poll_loop(env):
    writer = env.collection("Interop feed")
    poller = Poller(env)
    added = []

    def write(objects):
        add(writer, objects)
        added.extend((o["id"], o["modified"]) for o in objects)

    # The first poll has no cursor: it takes whatever the feed holds (nothing on a fresh server).
    poller.poll()
    initial = list(poller.delivered)

    first = [indicator(created=at(1), value="203.0.113.{}".format(n)) for n in range(20)]
    write(first)
    poller.poll()
    assert poller.cursor is not None
    # A quiet poll keeps the cursor.
    quiet_cursor = poller.cursor
    assert poller.poll() == 1 and poller.cursor == quiet_cursor

    # New objects and new versions of two delivered ones.
    write([indicator(created=at(2)) for _ in range(9)]
          + [dict(first[0], modified=at(10), name="revised"), dict(first[1], modified=at(11), name="revised")])
    poller.poll()

    # Objects added while the poller is between two pages of one poll: they come either in that
    # poll or in the next, never twice and never not at all.
    batch = [indicator(created=at(3)) for _ in range(12)]
    write(batch)
    poller.poll(between_pages=lambda: write([indicator(created=at(4)) for _ in range(10)]))
    poller.poll()

    # A writer running while the poller polls (few writes: on the MongoDB test server, FerretDB,
    # each takes seconds).
    stop = threading.Event()
    errors = []

    def background():
        try:
            n = 0
            while not stop.is_set() and n < WRITER_ROUNDS:
                write([indicator(created=at(5)) for _ in range(5)])
                n += 1
        except Exception as err:  # reported below, so the test fails with it
            errors.append(err)

    thread = threading.Thread(target=background)
    thread.start()
    try:
        while thread.is_alive():
            poller.poll()
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not errors, errors
    poller.poll()

    assert len(poller.delivered) == len(set(poller.delivered)), "an object version was delivered twice"
    delivered = {(i, parse_time(m)) for i, m in poller.delivered}
    expected = {(i, parse_time(m)) for i, m in added + initial}
    assert delivered == expected, {
        "missed": sorted(expected - delivered)[:10],
        "unexpected": sorted(delivered - expected)[:10],
    }
    assert poller.pages > 10
