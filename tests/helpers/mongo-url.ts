// The MongoDB suites need a real server speaking the wire protocol: `.ci/run` starts FerretDB and
// sets PALISADE_TEST_MONGO_URI. Without it they skip visibly on a developer machine and fail in CI.
import { randomUUID } from 'node:crypto';

export function mongoTestUri(): string | undefined {
  const uri = process.env.PALISADE_TEST_MONGO_URI;
  if (!uri && process.env.CI === 'true') {
    throw new Error('CI=true but PALISADE_TEST_MONGO_URI is not set: .ci/run must start FerretDB');
  }
  return uri || undefined;
}

export const MONGO_SKIP_MESSAGE =
  'MongoDB suites skipped: set PALISADE_TEST_MONGO_URI to a MongoDB-compatible server ' +
  '(bash scripts/ferretdb.sh start builds and starts FerretDB on 127.0.0.1)';

export function freshDatabaseName(): string {
  return `palisade_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}
