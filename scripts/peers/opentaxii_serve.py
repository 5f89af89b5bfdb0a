"""OpenTAXII 0.9.3 as a TAXII-2-only peer for `npm run bench`.

    python opentaxii_serve.py DIR PORT USER PASSWORD TITLE...

Writes DIR/opentaxii.yml (TAXII 2 only, SQLite files under DIR, the Taxii2SQLDatabaseAPI
persistence class, Basic authentication), creates an admin account, one default API root and one
collection per TITLE through OpenTAXII's own persistence and auth APIs (what its
opentaxii-add-api-root, opentaxii-add-collection and opentaxii-create-account commands call),
prints one JSON line {"api_root": ID, "collections": {TITLE: ID}} and serves on 127.0.0.1:PORT with
the threaded Werkzeug server (the one its opentaxii-run-dev command uses), without debug mode.

The shim: OpenTAXII's TAXII 2 responses go through json.dumps, which cannot encode the uuid.UUID
ids its SQL layer returns (the collections resource fails with a TypeError); the two modules that
call it get a json stand-in whose dumps writes a UUID as its string form.
"""
import json
import os
import sys
import types
import uuid

directory, port, user, password, *titles = sys.argv[1:]
config = os.path.join(directory, "opentaxii.yml")
with open(config, "w", encoding="utf-8") as f:
    f.write(
        f"""---
domain: "127.0.0.1:{port}"
support_basic_auth: yes
return_server_error_details: no
auth_api:
  class: opentaxii.auth.sqldb.SQLDatabaseAPI
  parameters:
    db_connection: sqlite:///{directory}/auth.db
    create_tables: yes
    secret: bench-only-secret-{uuid.uuid4()}
    token_ttl_secs: 86400
taxii1:
taxii2:
  title: OpenTAXII bench
  max_content_length: 209715200
  public_discovery: no
  persistence_api:
    class: opentaxii.persistence.sqldb.Taxii2SQLDatabaseAPI
    parameters:
      db_connection: sqlite:///{directory}/data.db
      create_tables: yes
logging:
  opentaxii: warning
  root: warning
"""
    )
os.environ["OPENTAXII_CONFIG"] = config


def _default(o):
    if isinstance(o, uuid.UUID):
        return str(o)
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _dumps(obj, *args, **kwargs):
    kwargs.setdefault("default", _default)
    return json.dumps(obj, *args, **kwargs)


shim = types.ModuleType("json_uuid_shim")
shim.__dict__.update({k: getattr(json, k) for k in dir(json) if not k.startswith("__")})
shim.dumps = _dumps

import opentaxii.server  # noqa: E402
import opentaxii.taxii2.http  # noqa: E402

opentaxii.server.json = shim
opentaxii.taxii2.http.json = shim

from opentaxii.http import app  # noqa: E402
from werkzeug.serving import run_simple  # noqa: E402

with app.app_context():
    server = app.taxii_server
    server.auth.api.create_account(username=user, password=password, is_admin=True)
    api = server.servers.taxii2.persistence.api
    root = api.add_api_root(title="bench", description="bench", default=True)
    ids = {}
    for title in titles:
        c = api.add_collection(api_root_id=str(root.id), title=title, description=title, alias=None,
                               is_public=False, is_public_write=False)
        ids[title] = str(c.id)
print(json.dumps({"api_root": str(root.id), "collections": ids}), flush=True)
run_simple("127.0.0.1", int(port), app, threaded=True, use_reloader=False, use_debugger=False)
