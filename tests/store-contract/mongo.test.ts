import { connectMongoStore } from '../../src/store/mongo/mongo-store.js';
import { MONGO_SKIP_MESSAGE, freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';
import { describeStoreContract } from './contract.js';

const uri = mongoTestUri();
if (!uri) {
  describe('Store contract: mongodb', () => {
    it(`is skipped: ${MONGO_SKIP_MESSAGE}`, function () {
      console.log(`      ${MONGO_SKIP_MESSAGE}`);
      this.skip();
    });
  });
} else {
  // A real server (FerretDB in CI), a fresh database per test.
  describeStoreContract('mongodb', async () => {
    const database = freshDatabaseName();
    let store = await connectMongoStore(uri, database);
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await connectMongoStore(uri, database);
        return store;
      },
      dispose: async () => {
        await store.dropDatabase();
        await store.close();
      },
    };
  });
}
