"""The stix2 library's TAXII data store against Palisade: TAXIICollectionSink adds (it posts a STIX
bundle, which Palisade reads by its objects), TAXIICollectionSource queries (type and id filters
go to the server as match[...], the rest is applied locally), get, all_versions, and an
Environment walking relationships."""

import pytest
import stix2
from stix2 import Environment, Filter, TAXIICollectionSink, TAXIICollectionSource, TAXIICollectionStore

TIME = "2024-04-01T09:00:00.000Z"


@pytest.fixture(scope="module")
def graph(env):
    collection = env.collection("Interop stix2")
    actor = stix2.ThreatActor(name="Interop Panda", threat_actor_types=["nation-state"], created=TIME, modified=TIME)
    tool = stix2.Malware(name="InteropRAT", is_family=True, created=TIME, modified=TIME)
    ind = stix2.Indicator(
        name="InteropRAT C2",
        pattern="[domain-name:value = 'c2.interop.example']",
        pattern_type="stix",
        valid_from=TIME,
        created=TIME,
        modified=TIME,
    )
    uses = stix2.Relationship(actor, "uses", tool, created=TIME, modified=TIME)
    indicates = stix2.Relationship(ind, "indicates", tool, created=TIME, modified=TIME)
    # TAXIICollectionSink posts a STIX bundle (type, id, objects) as the Add Objects body, where
    # TAXII 2.1 §5.5 asks for an envelope; Palisade reads a bundle by its objects, so the sink works
    # unchanged. Every add below goes through that path.
    sink = TAXIICollectionSink(collection)
    # One bundle of several objects, then a single object, as the sink accepts either.
    sink.add(stix2.Bundle(actor, tool, ind, uses))
    sink.add(indicates)
    return {
        "collection": collection,
        "actor": actor,
        "tool": tool,
        "indicator": ind,
        "uses": uses,
        "indicates": indicates,
    }


def test_source_query_by_type(graph):
    source = TAXIICollectionSource(graph["collection"])
    malware = source.query([Filter("type", "=", "malware")])
    assert [m.id for m in malware] == [graph["tool"].id]
    assert isinstance(malware[0], stix2.Malware)
    assert malware[0].name == "InteropRAT" and malware[0].is_family is True
    rels = source.query([Filter("type", "=", "relationship"), Filter("relationship_type", "=", "uses")])
    assert [r.id for r in rels] == [graph["uses"].id]


def test_source_get_by_id(graph):
    source = TAXIICollectionSource(graph["collection"])
    got = source.get(graph["indicator"].id)
    assert got == graph["indicator"]
    assert source.get("indicator--00000000-0000-4000-8000-000000000000") is None


def test_source_all_versions(graph):
    store = TAXIICollectionStore(graph["collection"])
    revised = graph["actor"].new_version(modified="2024-05-01T00:00:00.000Z", description="revised")
    store.add(revised)
    versions = store.source.all_versions(graph["actor"].id)
    assert sorted(str(v.modified) for v in versions) == ["2024-04-01 09:00:00+00:00", "2024-05-01 00:00:00+00:00"]
    latest = store.get(graph["actor"].id)
    assert latest.description == "revised"


def test_environment_relationships_and_related_to(graph):
    env = Environment(source=TAXIICollectionSource(graph["collection"]))
    tool = graph["tool"]
    rels = env.relationships(tool)
    assert {r.id for r in rels} == {graph["uses"].id, graph["indicates"].id}
    assert {r.id for r in env.relationships(tool, "uses", target_only=True)} == {graph["uses"].id}
    related = env.related_to(tool)
    assert {o.id for o in related} == {graph["actor"].id, graph["indicator"].id}
    assert env.creator_of(tool) is None


def test_sink_add_then_read_back_through_the_client(graph):
    campaign = stix2.Campaign(name="Interop campaign", created=TIME, modified=TIME)
    TAXIICollectionSink(graph["collection"]).add(campaign)
    envelope = graph["collection"].get_object(campaign.id)
    assert [o["name"] for o in envelope["objects"]] == ["Interop campaign"]
    assert stix2.parse(envelope["objects"][0]) == campaign
