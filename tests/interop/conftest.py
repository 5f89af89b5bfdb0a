"""Shared setup of the interoperability tests: the OASIS taxii2-client and stix2 libraries, used
unchanged, against a real `palisade serve` process.

tests/integration/interop.test.ts starts the server (tests/interop/serve.ts) and runs pytest with
the environment below; `npx tsx tests/interop/serve.ts` does the same by hand and prints it.
The collection ids come from tests/interop/palisade.yaml, the configuration the server runs with.
"""

import os
import pathlib

import pytest
import yaml
from taxii2client.v21 import ApiRoot, Collection, Server

HERE = pathlib.Path(__file__).resolve().parent
ENVIRONMENT = (
    "PALISADE_INTEROP_URL",
    "PALISADE_INTEROP_API_ROOT",
    "PALISADE_INTEROP_USER",
    "PALISADE_INTEROP_PASSWORD",
    "PALISADE_INTEROP_OUTSIDER",
    "PALISADE_INTEROP_OUTSIDER_PASSWORD",
    "PALISADE_INTEROP_TOKEN",
)


def pytest_configure(config):
    missing = [name for name in ENVIRONMENT if not os.environ.get(name)]
    if missing:
        raise pytest.UsageError(
            "the interop tests need a running Palisade; missing " + ", ".join(missing)
            + " (run them through tests/integration/interop.test.ts, or start"
            " `npx tsx tests/interop/serve.ts` and export what it prints)"
        )


def _collections_by_title():
    config = yaml.safe_load((HERE / "palisade.yaml").read_text(encoding="utf-8"))
    root = next(r for r in config["api_roots"] if r["path"] == os.environ["PALISADE_INTEROP_API_ROOT"])
    return {c["title"]: c for c in root["collections"]}


class Env:
    """Where the server is and who may sign in."""

    def __init__(self):
        self.url = os.environ["PALISADE_INTEROP_URL"].rstrip("/")
        self.root = os.environ["PALISADE_INTEROP_API_ROOT"]
        self.user = os.environ["PALISADE_INTEROP_USER"]
        self.password = os.environ["PALISADE_INTEROP_PASSWORD"]
        self.outsider = os.environ["PALISADE_INTEROP_OUTSIDER"]
        self.outsider_password = os.environ["PALISADE_INTEROP_OUTSIDER_PASSWORD"]
        self.token = os.environ["PALISADE_INTEROP_TOKEN"]
        self.collections = _collections_by_title()

    @property
    def discovery_url(self):
        return self.url + "/taxii2/"

    @property
    def root_url(self):
        return "{}/{}/".format(self.url, self.root)

    def collection_id(self, title):
        return self.collections[title]["id"]

    def collection_url(self, title_or_id):
        cid = self.collections[title_or_id]["id"] if title_or_id in self.collections else title_or_id
        return "{}collections/{}/".format(self.root_url, cid)

    def collection(self, title, **auth):
        """A Collection as a client builds one from its URL (credentials: the analyst's by default)."""
        if not auth:
            auth = {"user": self.user, "password": self.password}
        return Collection(self.collection_url(title), **auth)


@pytest.fixture(scope="session")
def env():
    return Env()


@pytest.fixture(scope="session")
def server(env):
    with Server(env.discovery_url, user=env.user, password=env.password) as s:
        yield s


@pytest.fixture(scope="session")
def api_root(env):
    with ApiRoot(env.root_url, user=env.user, password=env.password) as r:
        yield r
