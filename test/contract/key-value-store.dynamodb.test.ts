/**
 * KeyValueStore contract against the dynamodb adapter on moto (started once per run by global-setup.ts);
 * every test gets a fresh dynamodb store of its own.
 */
import { describeKeyValueStoreContract } from '../../shared/ports/__contract__/key-value-store.contract';
import { closeTestStores, makeDynamoStore } from '../emulators/stores';

afterEach(closeTestStores);

describeKeyValueStoreContract('dynamodb', () => makeDynamoStore('kv-contract'));
