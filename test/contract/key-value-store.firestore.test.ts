/**
 * KeyValueStore contract against the firestore adapter on the gcloud Firestore emulator (started once per run by global-setup.ts);
 * every test gets a fresh firestore store of its own.
 */
import { describeKeyValueStoreContract } from '../../shared/ports/__contract__/key-value-store.contract';
import { closeTestStores, makeFirestoreStore } from '../emulators/stores';

afterEach(closeTestStores);

describeKeyValueStoreContract('firestore', () => makeFirestoreStore('kv-contract'));
