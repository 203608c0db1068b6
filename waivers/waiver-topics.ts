import { defineTopic } from '../schemas/topic-contract.js';
import type { WaiverJson } from './waiver-json.js';

/** A waiver was stored: the waiver as WaiverDB's GET /api/v1.0/waivers/{id} answers it. */
export const WAIVER_NEW = defineTopic<WaiverJson>()('waiverdb.waiver.new');
