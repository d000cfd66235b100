// `hacheck validate -c FILE [--print]`: check a config without probing anything.
import { loadFile, requireTrusted, requireTrustedCaFiles, validate } from '../config/load.js';
import { fmtMs } from '../config/units.js';
import { fmtHostPort, type HostPort } from '../probes/port.js';
import { redactConfig } from '../output/redact.js';

export async function validateCommand(flags: { config?: string; print?: boolean }): Promise<number> {
  const loaded = loadFile(flags.config);
  const cfg = validate(loaded, 'config');
  // the check would refuse it (78): so does validate (src/config/load.ts, docs/security.md)
  requireTrusted(loaded, cfg);
  requireTrustedCaFiles(cfg, loaded.path);
  if (flags.print) {
    const { stringify } = await import('yaml');
    const plain = JSON.parse(JSON.stringify(cfg, (k, val) => {
      // back to the forms the file is written in, so the printed config validates again
      if (val instanceof RegExp) return val.source;
      if (k === 'status' && Array.isArray(val) && Array.isArray(val[0])) return (val as [number, number][]).map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`));
      if (k === 'response_header' && Array.isArray(val) && val.length === 2) return val[1] ? `${val[0]}: ${val[1]}` : val[0];
      if (k === 'targets' && Array.isArray(val) && typeof val[0]?.port === 'number') return (val as HostPort[]).map(fmtHostPort);
      if (typeof val === 'number' && /^(timeout|interval|grace|window|for_duration|settle|poll|max_age|sample)$/.test(k)) return fmtMs(val);
      return val;
    }));
    // what is printed may be pasted into a ticket: no password, token or cookie in it
    process.stdout.write(stringify(redactConfig(plain)));
  } else {
    process.stdout.write(`${loaded.path ?? '(no config file: defaults)'}: ok\n`);
  }
  return 0;
}
