// App backend of the failover lab: answers every request with its name.
// usage: node backend.mjs NAME PORT
import { createServer } from 'node:http';

const [name, port] = process.argv.slice(2);
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'x-app': name });
  res.end(`${name}\n`);
}).listen(Number(port), '0.0.0.0');
