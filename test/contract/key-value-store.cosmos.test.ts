/**
 * KeyValueStore contract against the cosmos adapter on cosmosdb-server (started once per run by global-setup.ts);
 * every test gets a fresh cosmos store of its own.
 */
import { describeKeyValueStoreContract } from '../../shared/ports/__contract__/key-value-store.contract';
import { closeTestStores, makeCosmosStore } from '../emulators/stores';

afterEach(closeTestStores);

describeKeyValueStoreContract('cosmos', () => makeCosmosStore('kv-contract'));
