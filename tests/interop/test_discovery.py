"""Discovery, API root, collections and authentication, as taxii2-client reads them (TAXII 2.1
§4.1, §4.2, §5.1, §5.2; authentication §1.6 and the server's Basic and token schemes)."""

import pytest
import requests
from requests.exceptions import HTTPError
from taxii2client.common import TokenAuth
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server

from interop_support import STIX_21, TAXII_21, get_raw, indicator


class BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer <token>` (RFC 6750), what generic HTTP tooling sends."""

    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = "Bearer " + self.token
        return r


VISIBLE_TO_ANALYST = {"Interop filters", "Interop paging", "Interop feed", "Interop stix2", "Interop writes"}


def test_discovery(env, server):
    assert server.title == "Palisade interop target"
    assert server.description == "taxii2-client and stix2 against a real server"
    assert server.contact == "interop@example.test"
    assert [r.url for r in server.api_roots] == [env.root_url]
    # §4.1.1: `default` is one of api_roots; the client then hands out that same object.
    assert server.default is not None
    assert server.default.url == env.root_url
    assert server.default is server.api_roots[0]


def test_api_root_information(api_root):
    assert api_root.title == "Interop API root"
    assert api_root.description == "collections the Python clients read and write"
    assert api_root.versions == [TAXII_21]
    assert api_root.max_content_length == 52428800


def test_api_root_collections_lists_what_the_user_may_see(env, api_root):
    by_title = {c.title: c for c in api_root.collections}
    assert set(by_title) == VISIBLE_TO_ANALYST
    for title, c in by_title.items():
        assert c.id == env.collection_id(title)
        assert c.url == env.collection_url(title)
        assert (c.can_read, c.can_write) == (True, True)
        assert c.media_types == [STIX_21]
    assert by_title["Interop filters"].alias == "filters"
    assert by_title["Interop filters"].description == "objects with several versions and spec versions"


def test_collection_resource_through_its_own_url(env):
    c = env.collection("Interop filters")
    c.refresh()
    assert c.id == env.collection_id("Interop filters")
    assert c.title == "Interop filters"
    assert c.alias == "filters"
    assert c.can_read is True and c.can_write is True
    assert c.media_types == [STIX_21]


def test_basic_authentication_failure_is_a_401(env):
    s = Server(env.discovery_url, user=env.user, password="not-the-password")
    with pytest.raises(HTTPError) as err:
        s.refresh()
    assert err.value.response.status_code == 401
    challenges = err.value.response.headers.get("WWW-Authenticate", "")
    assert "Basic" in challenges and "Bearer" in challenges
    body = err.value.response.json()
    assert body["http_status"] == "401"
    assert "title" in body


def test_no_credentials_is_a_401(env):
    with pytest.raises(HTTPError) as err:
        Server(env.discovery_url).refresh()
    assert err.value.response.status_code == 401


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_token_authentication(env, scheme):
    # taxii2client.common.TokenAuth sends `Authorization: Token <key>`; other tools send Bearer.
    auth = TokenAuth(env.token) if scheme == "Token" else BearerAuth(env.token)
    with Server(env.discovery_url, auth=auth) as s:
        assert s.title == "Palisade interop target"
        root = s.default
        # The service account holds a read grant on the feed only.
        feed = [c for c in root.collections]
        assert [c.title for c in feed] == ["Interop feed"]
        assert (feed[0].can_read, feed[0].can_write) == (True, False)
        assert isinstance(feed[0].get_objects(), dict)
        # can_write is false, so the client refuses to post before sending anything.
        with pytest.raises(AccessError):
            feed[0].add_objects({"objects": [indicator()]})


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_wrong_token_is_a_401(env, scheme):
    wrong = env.token[:-4] + ("AAAA" if not env.token.endswith("AAAA") else "BBBB")
    auth = TokenAuth(wrong) if scheme == "Token" else BearerAuth(wrong)
    with pytest.raises(HTTPError) as err:
        Server(env.discovery_url, auth=auth).refresh()
    assert err.value.response.status_code == 401


def test_collection_of_another_tenant_is_404_like_an_unknown_one(env):
    hidden = env.collection_id("Interop hidden")
    unknown = "00000000-0000-4000-8000-000000000000"
    answers = {}
    for cid in (hidden, unknown):
        c = Collection(env.collection_url(cid), user=env.user, password=env.password)
        with pytest.raises(HTTPError) as err:
            c.refresh()
        answers[cid] = err.value.response
    for suffix in ("objects/", "manifest/", "objects/{}/".format(indicator()["id"])):
        for cid in (hidden, unknown):
            res = get_raw(env, "/{}/collections/{}/{}".format(env.root, cid, suffix))
            assert res.status_code == 404, (cid, suffix, res.text)
    a, b = (answers[hidden], answers[unknown])
    assert a.status_code == b.status_code == 404
    assert a.headers["Content-Type"] == b.headers["Content-Type"] == TAXII_21
    strip = lambda body: {k: v for k, v in body.items() if k != "error_id"}  # noqa: E731
    assert strip(a.json()) == strip(b.json())
    # The owner tenant's member does see it.
    owner = Collection(env.collection_url(hidden), user=env.outsider, password=env.outsider_password)
    assert owner.title == "Interop hidden"
    assert owner.can_read is True
