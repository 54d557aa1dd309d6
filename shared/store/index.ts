export type { ObjectInfo, ObjectStore, ObjectWriter } from './object-store.js';
