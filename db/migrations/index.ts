import type { Migration } from '../migration.js';
import { foundation } from './001-foundation.js';
import { results } from './002-results.js';
import { pipeline } from './006-pipeline.js';

/** Every migration, in order. A new one gets the next number and its own file. */
export const migrations: Migration[] = [foundation, results, pipeline];
