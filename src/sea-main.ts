// Entry point of the single binary (dist/hacheck, a Node SEA with a start-up
// snapshot; scripts/build-sea.mjs). At build time this runs once inside the
// snapshot builder: the modules of the hot commands (the one-shot check, the
// agent-mode `status` guard) are loaded and initialised there and the config
// schema and YAML parser are exercised once, so a run starts from a heap that
// already holds them instead of compiling and evaluating them every 1-2 s under
// keepalived. Those commands run without commander (src/fast-path.ts); commander
// and the program (src/cli.ts) are loaded at run time for everything else:
// leaving them out of the snapshot saves ~12M instructions per check (the
// deserialised heap is smaller) and costs help, --version, usage errors and the
// other commands a few ms. Only pure-JS state goes into the snapshot:
// node:http/https (their parser binding cannot be serialised) and
// node:child_process are loaded at run time when used.
// Nothing done at build time may read the environment, argv, files or the clock.
import { startupSnapshot } from 'node:v8';
import { fastParse, fastPath } from './fast-path.js';
import './commands/check.js';
import './commands/status.js';
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

function run(argv: string[]): void {
  if (!fastPath(argv)) void import('./cli.js').then(({ main }) => main(argv));
}

if (startupSnapshot?.isBuildingSnapshot()) {
  // warm-up: the schema of a flags-only one-shot run and of a config file like the installed one
  validate({ raw: {} });
  validate({ raw: parseDocument(SAMPLE_YAML, { lineCounter: new LineCounter(), prettyErrors: false, uniqueKeys: true }).toJS() });
  validate({ raw: overlay({}, { pidfile: '/run/nginx.pid', port: ['80'], url: ['http://127.0.0.1/'], header: ['Host: a'], timeout: '1s', stateDir: '/run/hacheck', maintenanceFile: '' }) }, 'usage');
  fastParse(['check', '--pidfile', '/run/nginx.pid', '--port', '80', '--url', 'http://127.0.0.1/', '--maintenance-file=', '--no-restart', '-v']);
  // the `performance` global is loaded on first use (~1.5 ms); Node re-bases its time origin after deserialising
  performance.now();
  startupSnapshot.setDeserializeMainFunction(() => run(process.argv));
} else {
  run(process.argv);
}
