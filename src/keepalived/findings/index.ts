// The finding families, in report order: adding one is one file and one line.
import { arithmetic } from './arithmetic.js';
import { fast } from './fast.js';
import { hacheckScripts } from './hacheck-scripts.js';
import { hacheckTrust } from './hacheck-trust.js';
import { instances } from './instances.js';
import { keepalivedSays } from './keepalived-says.js';
import { duplicates } from './duplicates.js';
import { keywords } from './keywords.js';
import { numbers } from './numbers.js';
import { parseNotes } from './parse-notes.js';
import { scripts } from './scripts.js';
import { syncGroups } from './sync-groups.js';
import { targetsVip } from './targets-vip.js';
import { tracking } from './tracking.js';
import { weights } from './weights.js';
import type { Family } from './types.js';

/** keepalived-says comes last: its lines merge into the doctor's own finding about the same subject. */
export const families = {
  parseNotes, keywords, numbers, duplicates, scripts, hacheckScripts, hacheckTrust, instances, tracking, weights, arithmetic, syncGroups, fast, targetsVip, keepalivedSays,
} satisfies Record<string, Family>;

/**
 * Load-time findings: keepalived itself prints each of these when it applies. Where
 * its config test ran to the end, the doctor's own finding of one of these codes
 * that keepalived did not confirm is the model's mistake and is dropped.
 */
export const KEEPALIVED_DECIDES = new Set([
  'unknown-keyword', 'sync-group-weights', 'address-owner', 'script-user', 'script-missing', 'script-unsafe', 'nopreempt-master', 'preempt-delay-cleared', 'strict-auth',
  'priority-range', 'advert-int-rounded', 'advert-int-clamped', 'weight-range', 'unknown-track', 'track-order', 'sync-group-member', 'sync-group-single',
]);
