// `hacheck validate -c FILE [--print]`: check a config without probing anything.
import { loadFile, validate } from '../config/load.js';
import { fmtMs } from '../config/units.js';

export async function validateCommand(flags: { config?: string; print?: boolean }): Promise<number> {
  const loaded = loadFile(flags.config);
  const cfg = validate(loaded, 'config');
  if (flags.print) {
    const { stringify } = await import('yaml');
    const plain = JSON.parse(JSON.stringify(cfg, (k, val) => {
      if (val instanceof RegExp) return val.source;
      if (typeof val === 'number' && /^(timeout|interval|grace|window|for_duration|settle|poll|max_age|sample)$/.test(k)) return fmtMs(val);
      return val;
    }));
    process.stdout.write(stringify(plain));
  } else {
    process.stdout.write(`${loaded.path ?? '(no config file: defaults)'}: ok\n`);
  }
  return 0;
}
