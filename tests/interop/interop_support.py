"""Helpers of the interop tests (STIX content, waiting adds, response headers); the fixtures are
in conftest.py."""

import datetime
import uuid

import requests

TAXII_21 = "application/taxii+json;version=2.1"
STIX_21 = "application/stix+json;version=2.1"


# ---- STIX content ------------------------------------------------------------------------------


def stix_time(dt):
    """A STIX timestamp with milliseconds, as most producers write them."""
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def parse_time(text):
    """A TAXII/STIX timestamp (any number of fraction digits) as an aware datetime, microseconds kept."""
    body = text.rstrip("Z")
    whole, _, fraction = body.partition(".")
    micros = int((fraction + "000000")[:6]) if fraction else 0
    dt = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return dt.replace(microsecond=micros)


BASE_TIME = datetime.datetime(2024, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def at(minutes):
    """A fixed STIX timestamp, `minutes` after BASE_TIME."""
    return stix_time(BASE_TIME + datetime.timedelta(minutes=minutes))


def new_id(kind):
    return "{}--{}".format(kind, uuid.uuid4())


def indicator(obj_id=None, created=None, modified=None, name="interop indicator", value=None):
    created = created or at(0)
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": obj_id or new_id("indicator"),
        "created": created,
        "modified": modified or created,
        "name": name,
        "pattern": "[ipv4-addr:value = '{}']".format(value or "198.51.100.7"),
        "pattern_type": "stix",
        "valid_from": created,
    }


def malware(obj_id=None, name="interop malware"):
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": obj_id or new_id("malware"),
        "created": at(0),
        "modified": at(0),
        "name": name,
        "is_family": True,
    }


def add(collection, objects, expect_success=None):
    """add_objects with wait_for_completion, as connectors call it; returns the final Status."""
    status = collection.add_objects({"objects": objects}, wait_for_completion=True, poll_interval=0.05, timeout=300)
    assert status.status == "complete", status._raw
    assert status.total_count == len(objects)
    assert status.success_count == (len(objects) if expect_success is None else expect_success), status._raw
    return status


class HeaderLog:
    """Records the headers of every response a client connection receives.

    taxii2-client returns parsed JSON only, so a poller that follows X-TAXII-Date-Added-Last (as
    Microsoft Sentinel's connector does) has to read the headers from the HTTP layer: a requests
    response hook on the connection's session, which leaves the client's behaviour untouched.
    """

    def __init__(self, endpoint):
        self.responses = []
        endpoint._conn.session.hooks["response"].append(self._record)

    def _record(self, response, *args, **kwargs):
        self.responses.append(response)
        return response

    @property
    def last(self):
        return self.responses[-1]


def get_raw(env, path, auth=None, params=None, headers=None):
    """A plain HTTP GET beside the client, for what the client does not expose (status codes, bodies)."""
    return requests.get(
        env.url + path,
        auth=auth or (env.user, env.password),
        params=params,
        headers=headers or {"Accept": TAXII_21},
        timeout=30,
    )
