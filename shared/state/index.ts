export { JobStatus, type ChunkRecord, type JobRecord, type StateStore } from './models.js';
