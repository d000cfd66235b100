// Entry point of the single binary (dist/hacheck, a Node SEA with a start-up
// snapshot; scripts/build-sea.mjs). At build time this runs once inside the
// snapshot builder: the modules of the one-shot path are loaded and initialised
// there, the commander program is built and the config schema is exercised
// once, so a run starts from a heap that already holds them instead of
// compiling and evaluating them every 1-2 s under keepalived. Only pure-JS
// state goes into the snapshot: node:http/https (their parser binding cannot be
// serialised) and node:child_process are loaded at run time when used.
// Nothing done at build time may read the environment, argv, files or the clock.
import { startupSnapshot } from 'node:v8';
import { buildProgram, main } from './cli.js';
import './commands/check.js';
import './commands/validate.js';
import { validate } from './config/load.js';
import { overlay } from './config/flags.js';
import { LineCounter, parseDocument } from 'yaml';

/** Shaped like packaging/hacheck.yaml (the installed default): every run of an installed hacheck parses that. */
const SAMPLE_YAML = `# comment
timeout: 1500ms
state_dir: /run/hacheck
maintenance_file: /etc/hacheck/maintenance
log:
  level: info                    # trailing comment
restart:
  enabled: false
probes:
  - type: process
    pidfile: /run/nginx.pid
    min_workers: 1
  - type: port
    targets: ["80", '[::1]:80']
  - type: http
    urls:
      - http://127.0.0.1/
      - { url: "http://127.0.0.1/h", status: [200, "300-302"], headers: { Host: a } }
agent:
  interval: 1s
  rise: 2
  fall: 2
`;

if (startupSnapshot?.isBuildingSnapshot()) {
  const program = buildProgram();
  // warm-up: commander's help options and help formatter, the schema of a flags-only one-shot run
  for (const c of [program, ...program.commands]) c.helpInformation();
  validate({ raw: {} });
  validate({ raw: parseDocument(SAMPLE_YAML, { lineCounter: new LineCounter(), prettyErrors: false, uniqueKeys: true }).toJS() });
  validate({ raw: overlay({}, { pidfile: '/run/nginx.pid', port: ['80'], url: ['http://127.0.0.1/'], header: ['Host: a'], timeout: '1s', stateDir: '/run/hacheck', maintenanceFile: '' }) }, 'usage');
  // the `performance` global is loaded on first use (~1.5 ms); Node re-bases its time origin after deserialising
  performance.now();
  startupSnapshot.setDeserializeMainFunction(() => void main(process.argv, program));
} else {
  void main(process.argv);
}
