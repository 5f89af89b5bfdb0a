// The architecture boundaries are enforced by eslint.config.mjs; these tests plant forbidden
// imports into real source paths and expect the project's own lint configuration to refuse them.
import { expect } from 'chai';
import { ESLint } from 'eslint';
import { projectRoot } from '../../src/paths.js';

// typescript-eslint assumes a one-shot CLI run when CI=true and then types files as they are on
// disk, not as given to lintText; these checks lint planted text, so ask for the editor behaviour.
process.env.TSESTREE_SINGLE_RUN = 'false';
const eslint = new ESLint({ cwd: projectRoot });

async function restricted(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = x;\n`, { filePath: `${projectRoot}/${file}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('architecture boundaries (lint)', function () {
  this.timeout(120_000);

  const refused: [file: string, importLine: string, why: RegExp][] = [
    ['src/store/catalog.ts', "import { x } from '../taxii/query.js';", /knows nothing of protocols/],
    ['src/store/sqlite/objects.ts', "import { x } from '../../access/gate.js';", /knows nothing of protocols/],
    ['src/store/mongo/objects.ts', "import { x } from '../../http/problems.js';", /knows nothing of protocols/],
    ['src/store/mongo/objects.ts', "import { x } from 'better-sqlite3';", /does not use SQLite/],
    ['src/store/sqlite/objects.ts', "import { x } from 'mongodb';", /does not use MongoDB/],
    [
      'src/store/objects.ts',
      "import { x } from './sqlite/sqlite-store.js';",
      /only store\/open-store.ts picks a backend/,
    ],
    ['src/stix/versions.ts', "import { x } from '../store/store.js';", /do not depend on storage/],
    ['src/stix/validator.ts', "import { x } from '../taxii/query.js';", /do not depend on the layers/],
    [
      'src/taxii/objects-service.ts',
      "import { x } from '../store/sqlite/sqlite-store.js';",
      /only store\/open-store.ts/,
    ],
    ['src/taxii/objects-service.ts', "import { x } from 'express';", /express/],
    ['src/taxii/paging.ts', "import { x } from './routes/taxii-routes.js';", /No HTTP below the routes/],
    ['src/access/gate.ts', "import { x } from 'express';", /express/],
    ['src/access/gate.ts', "import { x } from '../taxii/query.js';", /do not depend on TAXII/],
    ['src/ingest/ingest-service.ts', "import { x } from '../store/mongo/mongo-store.js';", /only store\/open-store.ts/],
    ['src/app.ts', "import { x } from './store/mongo/mongo-store.js';", /only store\/open-store.ts/],
    ['src/container.ts', "import { x } from './store/sqlite/sqlite-store.js';", /only store\/open-store.ts/],
    ['src/taxii/routes/taxii-routes.ts', "import { x } from 'better-sqlite3';", /Database drivers/],
    ['src/http/error-middleware.ts', "import { x } from 'mongodb';", /Database drivers/],
    ['src/admin/admin-service.ts', "import { x } from 'express';", /express/],
    ['src/admin/tenancy-admin.ts', "import { x } from '../http/responders.js';", /knows no HTTP/],
    ['src/admin/context.ts', "import { x } from '../store/sqlite/sqlite-store.js';", /only store\/open-store.ts/],
  ];
  for (const [file, line, why] of refused) {
    it(`refuses in ${file}: ${line}`, async () => {
      const messages = await restricted(file, line);
      expect(messages, 'expected a no-restricted-imports error').to.have.length(1);
      expect(messages[0]).to.match(why);
    });
  }

  const allowed: [file: string, importLine: string][] = [
    ['src/store/open-store.ts', "import { x } from './sqlite/sqlite-store.js';"],
    ['src/store/sqlite/objects.ts', "import { x } from '../../stix/timestamps.js';"],
    ['src/container.ts', "import { x } from './store/open-store.js';"],
    ['src/taxii/routes/taxii-routes.ts', "import { x } from 'express';"],
    ['src/taxii/objects-service.ts', "import { x } from '../access/gate.js';"],
    ['src/admin/routes.ts', "import { x } from 'express';"],
  ];
  for (const [file, line] of allowed) {
    it(`allows in ${file}: ${line}`, async () => {
      expect(await restricted(file, line)).to.deep.equal([]);
    });
  }
});
